import { describe, expect, it } from "vitest";
import { claimExists, newChat, post, startFakes, storedConversation, textUpdate } from "../support/e2e.js";

import { useFakes } from "../support/fakes.js";

const { telegram, anthropic } = useFakes(startFakes);

async function nothingHappened(chat: number, updateId: number) {
  expect(anthropic.requests).toHaveLength(0);
  expect(telegram.calls).toHaveLength(0);
  expect(await claimExists(updateId)).toBe(false);
  expect(await storedConversation(chat)).toBeUndefined();
}

describe("webhook HTTP contract (SPEC §5)", () => {
  it("missing secret header: 401, nothing written, nothing called", async () => {
    const chat = newChat();
    const u = textUpdate(chat, "no secret");
    const res = await post(u, { secret: null });
    expect(res.status).toBe(401);
    await nothingHappened(chat, u.update_id);
  });

  it("wrong secret header: 401, nothing written, nothing called", async () => {
    const chat = newChat();
    const u = textUpdate(chat, "wrong secret");
    const res = await post(u, { secret: "definitely-not-the-secret" });
    expect(res.status).toBe(401);
    expect(JSON.stringify(res.body)).not.toMatch(/secret-token|stack/i);
    await nothingHappened(chat, u.update_id);
  });

  it("body that is not JSON: 400, nothing written", async () => {
    const res = await post(null, { raw: "{ this is not json" });
    expect(res.status).toBe(400);
    expect(telegram.calls).toHaveLength(0);
    expect(anthropic.requests).toHaveLength(0);
  });

  it("JSON that is not an Update: 400, nothing written", async () => {
    const chat = newChat();
    for (const body of [
      { hello: "world" },
      { update_id: "seven" },
      { update_id: -1 },
      { update_id: 42, message: { text: "no chat" } },
      [1, 2, 3],
    ]) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(telegram.calls).toHaveLength(0);
    expect(anthropic.requests).toHaveLength(0);
    expect(await storedConversation(chat)).toBeUndefined();
  });

  it("update types the bot does not handle: 200 and ignored", async () => {
    const chat = newChat();
    const base = textUpdate(chat, "edited");
    const bodies = [
      { update_id: base.update_id, edited_message: base.message },
      { update_id: base.update_id + 1, callback_query: { id: "1", from: base.message.from, data: "x" } },
      { update_id: base.update_id + 2, my_chat_member: { chat: base.message.chat } },
      { update_id: base.update_id + 3 },
    ];
    for (const body of bodies) {
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: true, ignored: true });
    }
    expect(telegram.calls).toHaveLength(0);
    expect(anthropic.requests).toHaveLength(0);
    expect(await claimExists(base.update_id)).toBe(false);
  });

  it("GET is not a webhook call", async () => {
    const res = await fetch("http://127.0.0.1:5001/demo-test/us-central1/telegramWebhook");
    expect(res.status).toBe(405);
  });
});
