import { describe, expect, it } from "vitest";
import { longText } from "../../devtools/fake-anthropic.js";
import {
  deliverLikeTelegram,
  newChat,
  nextUpdateId,
  post,
  sentTexts,
  startFakes,
  storedConversation,
  textUpdate,
} from "../support/e2e.js";

import { useFakes } from "../support/fakes.js";

const { telegram, anthropic } = useFakes(startFakes);

type Msg = { role: string; content: string | { type: string; text?: string; is_error?: boolean }[] };
const roles = (messages: Msg[]) => messages.map((m) => m.role);
function alternatesFromUser(messages: Msg[]): boolean {
  return messages.length > 0 && messages.every((m, i) => m.role === (i % 2 === 0 ? "user" : "assistant"));
}

describe("telegramWebhook through the functions emulator", () => {
  it("answers a text message through Claude and stores the turn", async () => {
    const chat = newChat();
    const res = await post(textUpdate(chat, "hello there"));
    expect(res.status).toBe(200);
    expect(sentTexts(telegram, chat)).toEqual(["echo: hello there"]);
    // Whether "typing…" shows depends on how long the turn took here (it starts after 1 s);
    // the delay itself is tested on a hand-driven clock (test/unit/telegram/reply.test.ts).
    const req = anthropic.requestsContaining("hello there")[0]!;
    expect(req.body.model).toBe("claude-sonnet-4-6");
    expect(req.body.max_tokens).toBe(4096);
    // Prompt caching on the stable prefix: system and the last tool.
    expect(req.body.system[0].cache_control).toEqual({ type: "ephemeral" });
    expect(req.body.tools.at(-1).cache_control).toEqual({ type: "ephemeral" });
    const stored = await storedConversation(chat);
    expect(stored!.turns).toHaveLength(1);
    expect(stored!.turns[0]!.status).toBe("done");
  });

  it("shows typing while a slow model works", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "think hard [[slow:1500]]")); // typing starts after TYPING_DELAY_MS (1 s)
    const typing = telegram.callsFor("sendChatAction").filter((c) => c.payload.chat_id === chat);
    expect(typing.length).toBeGreaterThanOrEqual(1);
    expect(typing[0]!.payload.action).toBe("typing");
    const sent = telegram.callsFor("sendMessage").find((c) => c.payload.chat_id === chat)!;
    expect(typing[0]!.at).toBeLessThan(sent.at);
  });

  it("remembers earlier turns: the second request carries the first exchange", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "my name is Ada"));
    await post(textUpdate(chat, "what is my name?"));
    const req = anthropic.requestsContaining("what is my name?")[0]!;
    const messages = req.body.messages as Msg[];
    expect(roles(messages)).toEqual(["user", "assistant", "user"]);
    expect(JSON.stringify(messages[0])).toContain("my name is Ada");
    expect(JSON.stringify(messages[1])).toContain("echo: my name is Ada");
  });

  it("the same update delivered 3x concurrently: one model call, one reply", async () => {
    const chat = newChat();
    const update = textUpdate(chat, "only once please");
    // Copies that meet the turn in flight get 503 at once (no waiting) and are redelivered.
    const results = await Promise.all([1, 2, 3].map(() => deliverLikeTelegram(update)));
    expect(results.flat().every((s) => s === 200 || s === 503)).toBe(true);
    expect(anthropic.requestsContaining("only once please")).toHaveLength(1);
    expect(sentTexts(telegram, chat)).toEqual(["echo: only once please"]);
  });

  it("a same-chat burst of 8 concurrent messages: all answered, all kept, in order", async () => {
    const chat = newChat();
    const updates = Array.from({ length: 8 }, (_, i) => textUpdate(chat, `burst ${i}`));
    const results = await Promise.all(updates.map((u) => post(u)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    // Each message gets exactly one reply, threaded to it. (Across instances a turn
    // may also see a neighbour's pending message, merged into its user message.)
    const sent = telegram.messagesTo(chat);
    expect(sent).toHaveLength(8);
    const repliedTo = sent.map((p) => p.reply_parameters?.message_id).sort();
    expect(repliedTo).toEqual(updates.map((u) => u.message.message_id).sort());
    for (let i = 0; i < 8; i++) expect(sent.some((p) => String(p.text).includes(`burst ${i}`))).toBe(true);
    const stored = await storedConversation(chat);
    // HISTORY_MAX_MESSAGES=10 in the test env: the newest 5 turns remain, in update order.
    const ids = stored!.turns.map((t) => t.updateId);
    expect(ids).toEqual(updates.map((u) => u.update_id).slice(-ids.length));
    expect(stored!.turns.every((t) => t.status === "done")).toBe(true);
    for (const req of anthropic.requests) expect(alternatesFromUser(req.body.messages)).toBe(true);
  });

  it("keeps the history cap and role alternation over many turns", async () => {
    const chat = newChat();
    for (let i = 0; i < 7; i++) await post(textUpdate(chat, `turn ${i}`)); // 14 messages > cap 10
    const stored = await storedConversation(chat);
    const messageCount = stored!.turns.reduce((n, t) => n + 1 + t.reply.length, 0);
    expect(messageCount).toBeLessThanOrEqual(10);
    expect(stored!.turns.at(-1)!.user[0]!.text).toBe("turn 6");
    expect(stored!.turns[0]!.user[0]!.text).not.toBe("turn 0"); // the oldest were trimmed
    for (const req of anthropic.requests) {
      expect(alternatesFromUser(req.body.messages)).toBe(true);
      expect(req.body.messages.length).toBeLessThanOrEqual(10);
    }
  });

  it("runs tools: calculator result flows back to the model and into history", async () => {
    const chat = newChat();
    await post(textUpdate(chat, 'compute [[tool:calculator {"expression":"(2+3)*4"}]]'));
    expect(sentTexts(telegram, chat)).toEqual(["tool result: 20"]);
    const stored = await storedConversation(chat);
    const reply = JSON.stringify(stored!.turns[0]!.reply);
    expect(reply).toContain("tool_use");
    expect(reply).toContain("tool_result");
  });

  it("an unknown tool gets a tool_result with is_error: true", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "please [[tool:launch_rockets {}]]"));
    const second = anthropic.requestsContaining("launch_rockets")[1]!;
    const last = (second.body.messages as Msg[]).at(-1)!;
    const result = (last.content as { type: string; is_error?: boolean }[])[0]!;
    expect(result).toMatchObject({ type: "tool_result", is_error: true });
    expect(sentTexts(telegram, chat)).toHaveLength(1);
  });

  it("hitting the tool-iteration bound ends the turn with a clear message", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "forever [[loop]]"));
    expect(anthropic.requestsContaining("forever")).toHaveLength(3); // MAX_TOOL_ITERATIONS=3
    const [text] = sentTexts(telegram, chat);
    expect(text).toContain("I stopped after 3 tool steps");
  });

  it("splits a long reply into several messages of at most 4096 characters", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "essay [[long:10000]]"));
    const texts = sentTexts(telegram, chat);
    expect(texts.length).toBeGreaterThanOrEqual(3);
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(4096);
    // Nothing lost or reordered by splitting.
    const norm = (t: string) => t.replace(/\s+/g, " ").trim();
    expect(norm(texts.join(" "))).toBe(norm(longText(10000)));
  });

  it("formats Markdown as Telegram HTML", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "show me [[markdown]]"));
    const sent = telegram.messagesTo(chat)[0]!;
    expect(sent.parse_mode).toBe("HTML");
    expect(sent.text).toContain("<b>");
    expect(sent.text).toContain("<pre>");
  });

  it("a model overloaded after retries gives a friendly message, no internals", async () => {
    const chat = newChat();
    const res = await post(textUpdate(chat, "hi [[fail:529]]"));
    expect(res.status).toBe(200);
    expect(anthropic.requestsContaining("[[fail:529]]")).toHaveLength(2); // 1 retry in the test env
    const [text] = sentTexts(telegram, chat);
    expect(text).toMatch(/overloaded/i);
    expect(text).not.toMatch(/APIError|529|overloaded_error|\{/);
    const stored = await storedConversation(chat);
    expect(stored!.turns[0]!.status).toBe("failed");
  });

  it.each(["500", "529"])(
    "a model that fails once with %s is retried by the SDK and answers",
    async (status) => {
      const chat = newChat();
      await post(textUpdate(chat, `flaky [[fail-once:${status}]]`));
      expect(anthropic.requestsContaining(`[[fail-once:${status}]]`)).toHaveLength(2);
      expect(sentTexts(telegram, chat)).toEqual([`echo: flaky [[fail-once:${status}]]`]);
    },
  );

  it("a model slower than the timeout gives a friendly message, not a redelivery", async () => {
    const chat = newChat();
    const res = await post(textUpdate(chat, "slow [[slow:9000]]")); // ANTHROPIC_TIMEOUT_MS=8000 in .env.demo-test
    expect(res.status).toBe(200);
    const [text] = sentTexts(telegram, chat);
    expect(text).toMatch(/too long/i);
  });

  it("Telegram 429 with retry_after is retried and delivered", async () => {
    const chat = newChat();
    telegram.failNext("sendMessage", {
      error_code: 429,
      description: "Too Many Requests: retry after 1",
      parameters: { retry_after: 1 },
    });
    await post(textUpdate(chat, "after a 429"));
    expect(sentTexts(telegram, chat)).toEqual(["echo: after a 429"]);
  });

  it("formatting rejected by Telegram falls back to plain text", async () => {
    const chat = newChat();
    telegram.failWhen(
      (method, p) => method === "sendMessage" && p.parse_mode === "HTML" && p.chat_id === chat,
      {
        error_code: 400,
        description: "Bad Request: can't parse entities: unexpected end tag",
      },
    );
    await post(textUpdate(chat, "fancy [[markdown]]"));
    const sent = telegram.messagesTo(chat);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.parse_mode).toBeUndefined();
    expect(sent[0]!.text).not.toContain("<b>");
  });

  it("a user who blocked the bot: logged, no retry storm, 200", async () => {
    const chat = newChat();
    telegram.failWhen((m, p) => m === "sendMessage" && p.chat_id === chat, {
      error_code: 403,
      description: "Forbidden: bot was blocked by the user",
    });
    const res = await post(textUpdate(chat, "are you there"));
    expect(res.status).toBe(200);
    expect(telegram.callsFor("sendMessage").filter((c) => c.payload.chat_id === chat)).toHaveLength(1);
  });

  it("rate limit per user: polite message and no model call", async () => {
    const chat = newChat();
    for (let i = 0; i < 8; i++) await post(textUpdate(chat, `rl ${i}`)); // RATE_LIMIT_PER_MINUTE=8
    await post(textUpdate(chat, "rl over"));
    expect(anthropic.requestsContaining("rl over")).toHaveLength(0);
    expect(sentTexts(telegram, chat).at(-1)).toMatch(/faster than I can keep up/);
  });

  it("text over the size limit is refused politely and never sent to the model", async () => {
    const chat = newChat();
    const update = textUpdate(chat, "x".repeat(501)); // MAX_INPUT_CHARS=500
    await post(update);
    expect(anthropic.requests).toHaveLength(0);
    expect(sentTexts(telegram, chat)[0]).toMatch(/too long/);
    expect(await storedConversation(chat)).toBeUndefined();
  });

  it("non-text messages get a short explanation", async () => {
    const chat = newChat();
    const u = textUpdate(chat, "") as { message: Record<string, unknown> };
    delete u.message.text;
    u.message.sticker = { file_id: "x", file_unique_id: "y", type: "regular", width: 1, height: 1 };
    await post(u);
    expect(sentTexts(telegram, chat)[0]).toMatch(
      /I can read photos, images, PDFs and text files, but not stickers/,
    );
    expect(anthropic.requests).toHaveLength(0);
  });

  it("records update ids it has already answered, so a late redelivery is ignored", async () => {
    const chat = newChat();
    const update = textUpdate(chat, "answered once", { updateId: nextUpdateId() });
    await post(update);
    await post(update);
    expect(anthropic.requestsContaining("answered once")).toHaveLength(1);
    expect(sentTexts(telegram, chat)).toHaveLength(1);
  });
});
