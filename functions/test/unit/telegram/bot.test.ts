import { Api, GrammyError } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeTelegram, startFakeTelegram } from "../../../devtools/fake-telegram.js";
import { retryExceptDrafts } from "../../../src/telegram/bot.js";

describe("the Bot API client's retries", () => {
  let fake: FakeTelegram;
  let api: Api;

  beforeAll(async () => {
    fake = await startFakeTelegram({ port: 0 });
    api = new Api("42:token", { apiRoot: fake.url });
    api.config.use(retryExceptDrafts());
  });
  afterAll(() => fake.close());

  // retry_after 0 so the retried call does not wait (Telegram itself always says >= 1).
  const flood = {
    error_code: 429,
    description: "Too Many Requests: retry after 0",
    parameters: { retry_after: 0 },
  };

  it("a message that hit 429 is retried after retry_after", async () => {
    fake.failNext("sendMessage", flood);
    await api.sendMessage(5, "answer");
    expect(fake.callsFor("sendMessage").map((c) => c.ok)).toEqual([false, true]);
  });

  it("a draft frame that hit 429 is not retried: the streamer skips it", async () => {
    for (const method of ["sendMessageDraft", "sendRichMessageDraft"] as const) {
      fake.failNext(method, flood);
      const call =
        method === "sendMessageDraft"
          ? api.sendMessageDraft(5, 1, "partial")
          : api.sendRichMessageDraft(5, 1, { markdown: "partial" });
      const err = await call.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GrammyError);
      expect((err as GrammyError).error_code).toBe(429);
      expect(fake.callsFor(method)).toHaveLength(1);
    }
  });
});
