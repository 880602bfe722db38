import { Api } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeTelegram, startFakeTelegram } from "../../../devtools/fake-telegram.js";

// What the ops-script tests rely on: a configurable bot username and long polling.
describe("fake Telegram Bot API: getMe username and getUpdates", () => {
  let fake: FakeTelegram;
  let api: Api;

  beforeAll(async () => {
    fake = await startFakeTelegram({ port: 0, username: "agent_bot" });
    api = new Api("123456:TEST-token_abc", { apiRoot: fake.url });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it("reports the configured username until changed, and again after reset", async () => {
    expect((await api.getMe()).username).toBe("agent_bot");
    fake.setUsername("Real_Bot");
    expect((await api.getMe()).username).toBe("Real_Bot");
    expect((await api.sendMessage(1, "hi")).from?.username).toBe("Real_Bot");
    fake.reset();
    expect((await api.getMe()).username).toBe("agent_bot");
  });

  it("answers a long poll with a pushed update, and drops confirmed ones", async () => {
    // Whether the push lands before or while the call waits, the answer is the same;
    // a call left waiting would run into the test timeout (30 s poll).
    const waiting = api.getUpdates({ timeout: 30 });
    const id = fake.pushUpdate({ message: { message_id: 1, date: 0, chat: { id: 5, type: "private" } } });
    const got = await waiting;
    expect(got.map((u) => u.update_id)).toEqual([id]);
    // Same offset: still there (not confirmed); offset past it: gone.
    expect(await api.getUpdates({ offset: id })).toHaveLength(1);
    expect(await api.getUpdates({ offset: id + 1 })).toEqual([]);
  });

  it("refuses getUpdates with 409 while a webhook is set, like Telegram", async () => {
    await api.setWebhook("https://example.test/hook");
    await expect(api.getUpdates()).rejects.toMatchObject({ error_code: 409 });
    expect((await api.getWebhookInfo()).url).toBe("https://example.test/hook");
  });
});
