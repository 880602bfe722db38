import { describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../../devtools/fake-anthropic.js";
import { startFakeTelegram } from "../../../devtools/fake-telegram.js";
import { inProcessApp, request } from "../../support/app.js";
import { mediaUpdate, textUpdate } from "../../support/e2e.js";
import { useFakes } from "../../support/fakes.js";
import { uid } from "../../support/firestore.js";
import { photoJpeg } from "../../support/media-files.js";

// The Messages API fake simulating prompt caching as the API documents it (prefix match at
// breakpoints, per-model minimum, 20-block lookback, TTL), so what the cache reads is what the
// API would report in cache_read_input_tokens.
const { telegram, anthropic } = useFakes(async () => {
  const [telegram, anthropic] = await Promise.all([
    startFakeTelegram(),
    startFakeAnthropic({ promptCaching: true }),
  ]);
  return { telegram, anthropic };
});

type Block = { type: string; source?: { data: string } };
const imagesOf = (body: { messages: Array<{ content: string | Block[] }> }) =>
  body.messages.flatMap((m) =>
    typeof m.content === "string" ? [] : m.content.filter((b) => b.type === "image"),
  );

describe("prompt caching with media in the prefix", () => {
  it("a follow-up on a photo reads the photo from the prompt cache: the re-attached block is byte-identical", async () => {
    const app = await inProcessApp({ telegram, anthropic });
    const chat = uid();
    const file = telegram.addFile(await photoJpeg(1200, 900), { mime: "image/jpeg" });
    const photo = mediaUpdate(chat, { photo: file, width: 1200, height: 900 }, { caption: "what is this?" });
    expect((await app.webhook(request(photo))).status).toBe(200);
    const readAfterPhoto = app.metricsRegistry.get("model_cache_read_tokens");

    expect((await app.webhook(request(textUpdate(chat, "and the colours?")))).status).toBe(200);
    const [first, second] = [
      anthropic.requestsContaining("what is this?")[0]!,
      anthropic.requestsContaining("and the colours?")[0]!,
    ];
    const [sent, resent] = [imagesOf(first.body), imagesOf(second.body)];
    expect(sent).toHaveLength(1);
    expect(resent).toHaveLength(1);
    // Same bytes, so the same prefix: the cache can match it.
    expect(resent[0]!.source!.data).toBe(sent[0]!.source!.data);
    // The fake counts characters / 4 as tokens: the image alone is far above the 2,048 minimum,
    // and the second request reads at least that much from the cache.
    const imageTokens = Math.floor(JSON.stringify(sent[0]).length / 4);
    expect(imageTokens).toBeGreaterThan(2_048);
    const readByFollowUp = app.metricsRegistry.get("model_cache_read_tokens") - readAfterPhoto;
    expect(readByFollowUp).toBeGreaterThanOrEqual(imageTokens);
    expect(telegram.messagesTo(chat)).toHaveLength(2);
  });
});
