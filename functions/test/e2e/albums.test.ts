import { describe, expect, it } from "vitest";
import { mediaUpdate, newChat, nextUpdateId, post, sentTexts, startFakes } from "../support/e2e.js";
import { useFakes } from "../support/fakes.js";
import { photoJpeg } from "../support/media-files.js";

const { telegram, anthropic } = useFakes(startFakes);

describe("albums through the functions emulator and the Cloud Tasks emulator", () => {
  it("a three-photo album posted as three concurrent updates, twice each: one model call with three images, one reply", async () => {
    const chat = newChat();
    const group = `${Date.now()}${chat}`;
    const first = nextUpdateId();
    nextUpdateId();
    nextUpdateId();
    const items = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const file = telegram.addFile(await photoJpeg(640, 480, { seed: 10 + i }), { mime: "image/jpeg" });
        return mediaUpdate(
          chat,
          { photo: file, width: 640, height: 480 },
          {
            updateId: first + i,
            mediaGroupId: group,
            ...(i === 0 ? { caption: "which one is sharpest?" } : {}),
          },
        );
      }),
    );
    const statuses = await Promise.all(items.flatMap((u) => [post(u), post(u)]));
    expect(statuses.every((r) => r.status === 200 || r.status === 503)).toBe(true);
    // The album closes once no item came for ALBUM_QUIET_MS (6 s in .env.demo-test); its check
    // runs as a Cloud Task.
    await telegram.waitFor(() => telegram.messagesTo(chat).length > 0, 60_000);
    expect(anthropic.requestsContaining("which one is sharpest?")).toHaveLength(1);
    const body = JSON.stringify(anthropic.requestsContaining("which one is sharpest?")[0]!.body.messages);
    expect(body.match(/"type":"image"/g)).toHaveLength(3);
    // Items redelivered after the turn change nothing.
    for (const u of items) expect((await post(u)).status).toBe(200);
    expect(sentTexts(telegram, chat)).toHaveLength(1);
  }, 120_000);
});
