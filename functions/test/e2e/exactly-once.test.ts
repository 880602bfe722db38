import { describe, expect, it } from "vitest";
import {
  deliverLikeTelegram,
  newChat,
  post,
  sentTexts,
  startFakes,
  storedConversation,
  textUpdate,
} from "../support/e2e.js";
import { useFakes } from "../support/fakes.js";
import { uid } from "../support/firestore.js";

const { telegram, anthropic } = useFakes(startFakes);

// The functions emulator's bot: TELEGRAM_BOT_USERNAME from functions/.env.
const group = (chat: number, text: string, userId: number) =>
  textUpdate(chat, text, { chatType: "supergroup", userId, firstName: `U${userId % 100}` });

describe("exactly once, through the functions emulator (Telegram-like redelivery)", () => {
  it("Bot API 500 on the reply more times than auto-retry absorbs, then recovery: one reply, one model call", async () => {
    const chat = newChat();
    const update = textUpdate(chat, "deliver through a Bot API outage");
    // auto-retry makes 4 attempts per delivery: the first delivery fails for good (503),
    // the redelivery re-sends the stored reply, and it gets through on the 7th attempt.
    telegram.failWhen(
      (m, p) => m === "sendMessage" && p.chat_id === chat,
      { error_code: 500, description: "Internal Server Error" },
      6,
    );
    const statuses = await deliverLikeTelegram(update);
    expect(statuses[0]).toBe(503);
    expect(statuses.at(-1)).toBe(200);
    expect(sentTexts(telegram, chat)).toEqual(["echo: deliver through a Bot API outage"]);
    expect(anthropic.requestsContaining("deliver through a Bot API outage")).toHaveLength(1);
    // A late duplicate changes nothing.
    expect((await post(update)).status).toBe(200);
    expect(sentTexts(telegram, chat)).toHaveLength(1);
  }, 120_000);

  it("a turn that outlives Telegram's patience: redeliveries get 503 at once, no second turn, one reply", async () => {
    const chat = newChat();
    const update = textUpdate(chat, `a long think [[hold:think${chat}]]`);
    // Telegram stops waiting for the first delivery and redelivers while the turn runs
    // (the first connection stays open here: the functions emulator does not survive a
    // client hanging up on it, and whether anyone listens does not change the turn).
    const first = post(update);
    await telegram.waitFor(() => anthropic.requestsContaining("a long think").length === 1, 60_000);
    const during = await post(update);
    expect(during.status).toBe(503); // the turn is in flight: answered at once, not after it
    expect(sentTexts(telegram, chat)).toHaveLength(0); // ...and before the turn ends
    anthropic.release(`think${chat}`); // the model finishes its long think
    expect((await first).status).toBe(200);
    const statuses = await deliverLikeTelegram(update);
    expect(statuses.at(-1)).toBe(200);
    expect(sentTexts(telegram, chat)).toEqual([expect.stringContaining("echo: a long think")]);
    expect(anthropic.requestsContaining("a long think")).toHaveLength(1);
  });

  it("a /reset whose answer Telegram did not take completes on redelivery, once", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "remember me"));
    const reset = textUpdate(chat, "/reset");
    telegram.failWhen(
      (m, p) => m === "sendMessage" && p.chat_id === chat,
      {
        error_code: 429,
        description: "Too Many Requests: retry after 120",
        parameters: { retry_after: 120 },
      },
      1,
    );
    const statuses = await deliverLikeTelegram(reset);
    expect(statuses).toEqual([503, 200]);
    expect(sentTexts(telegram, chat)).toEqual([
      "echo: remember me",
      "Done: I've forgotten this chat's history.",
    ]);
    expect((await storedConversation(chat))!.turns).toHaveLength(0);
  });

  it("in a group a member cannot read another member's notes, and a non-admin cannot /reset", async () => {
    const alice = uid();
    await post(textUpdate(alice, 'keep [[tool:notes {"action":"save","text":"alice secret 4242"}]]'));
    expect(sentTexts(telegram, alice)[0]).toMatch(/Saved note/);
    const chat = -uid();
    const bob = uid();
    telegram.handle("getChatAdministrators", () => [
      { status: "creator", user: { id: alice, is_bot: false, first_name: "Alice" } },
    ]);
    await post(group(chat, '@agent_bot read the notes [[tool:notes {"action":"list"}]]', bob));
    const req = anthropic.requestsContaining("read the notes")[0]!;
    expect((req.body.tools ?? []).map((t: { name: string }) => t.name)).not.toContain("notes");
    expect(JSON.stringify(telegram.messagesTo(chat))).not.toContain("4242");
    await post(group(chat, "/reset", bob));
    expect(sentTexts(telegram, chat).at(-1)).toBe("Only this group's admins can do that.");
    expect((await storedConversation(chat))!.turns).toHaveLength(1);
    await post(group(chat, "/reset@agent_bot", alice));
    expect((await storedConversation(chat))!.turns).toHaveLength(0);
  });
});
