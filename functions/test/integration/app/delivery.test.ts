import { describe, expect, it } from "vitest";
import { inProcessApp, randomPortFakes, request } from "../../support/app.js";
import { ManualClock } from "../../support/clock.js";
import { storedConversation, textUpdate } from "../../support/e2e.js";
import { useFakes } from "../../support/fakes.js";
import { emulatorClient, uid, uniquePrefix } from "../../support/firestore.js";

const { telegram, anthropic } = useFakes(randomPortFakes);

// A 429 asking for longer than auto-retry waits (30 s): Telegram did not take the message.
const FLOOD = {
  error_code: 429,
  description: "Too Many Requests: retry after 120",
  parameters: { retry_after: 120 },
};

async function claimOf(prefix: string, updateId: number) {
  return (await emulatorClient().collection(`${prefix}updates`).doc(String(updateId)).get()).data();
}

describe("delivery of stored replies (in process)", () => {
  it("a reply Telegram did not take is re-sent by the redelivery at once, on any instance, without the model", async () => {
    const prefix = uniquePrefix();
    const clock = new ManualClock(); // never advanced: no lease runs out in this test
    const a = await inProcessApp({ telegram, anthropic }, { prefix, clock });
    const chat = uid();
    const update = textUpdate(chat, "deliver me");
    telegram.failWhen((m, p) => m === "sendMessage" && p.chat_id === chat, FLOOD, 1);
    expect((await a.webhook(request(update))).status).toBe(503);
    expect(await claimOf(prefix, update.update_id)).toMatchObject({ state: "undelivered", sent: 0 });
    const b = await inProcessApp({ telegram, anthropic }, { prefix, clock });
    expect((await b.webhook(request(update))).status).toBe(200);
    expect((await b.webhook(request(update))).status).toBe(200);
    expect(telegram.messagesTo(chat).map((m) => m.text)).toEqual(["echo: deliver me"]);
    expect(anthropic.requestsContaining("deliver me")).toHaveLength(1);
    await b.state.receipts.flush();
    expect(await claimOf(prefix, update.update_id)).toMatchObject({ state: "done", sent: 1 });
    // The ERROR line of the failed send names the failure, never the reply.
    const error = a.lines.find((l) => l.message?.startsWith("reply not delivered"));
    expect(error).toMatchObject({ severity: "ERROR", failure: "retry", update_id: update.update_id });
    expect(JSON.stringify(error)).not.toContain("deliver me");
  });

  it("a multi-part reply resumes at the first part Telegram did not take; no part is shown twice", async () => {
    const prefix = uniquePrefix();
    const clock = new ManualClock();
    const a = await inProcessApp(
      { telegram, anthropic },
      { prefix, clock, config: { ANTHROPIC_MAX_TOKENS: 4096 } },
    );
    const chat = uid();
    const update = textUpdate(chat, "write a lot [[long:9000]]");
    // Part 1 goes through, part 2 is refused for now.
    let seen = 0;
    telegram.failWhen((m, p) => m === "sendMessage" && p.chat_id === chat && ++seen === 2, FLOOD, 1);
    expect((await a.webhook(request(update))).status).toBe(503);
    expect(await claimOf(prefix, update.update_id)).toMatchObject({ state: "undelivered", sent: 1 });
    expect((await a.webhook(request(update))).status).toBe(200);
    const parts = telegram.messagesTo(chat).map((m) => String(m.text));
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(new Set(parts).size).toBe(parts.length);
    expect(parts.join("").replace(/\s+/g, "")).toBe(
      String((await claimOf(prefix, update.update_id))!.reply).replace(/\s+/g, ""),
    );
    expect(anthropic.requestsContaining("write a lot")).toHaveLength(1);
  });

  it("a chat Telegram refuses for good (400) ends the delivery: no retry, no plain-text resend", async () => {
    const prefix = uniquePrefix();
    const a = await inProcessApp({ telegram, anthropic }, { prefix });
    const chat = uid();
    const update = textUpdate(chat, "nowhere to go");
    telegram.failWhen((m, p) => m === "sendMessage" && p.chat_id === chat, {
      error_code: 400,
      description: "Bad Request: not enough rights to send text messages to the chat",
    });
    expect((await a.webhook(request(update))).status).toBe(200);
    const attempts = telegram.calls.filter((c) => c.method === "sendMessage" && c.payload.chat_id === chat);
    expect(attempts).toHaveLength(1); // the plain-text fallback is for formatting errors only
    await a.state.receipts.flush();
    expect(await claimOf(prefix, update.update_id)).toMatchObject({ state: "done", sent: 0 });
    expect(a.lines.some((l) => l.message === "Telegram refused the reply; dropped")).toBe(true);
  });

  it("Telegram rejecting the formatting gets one plain-text resend of that part", async () => {
    const a = await inProcessApp({ telegram, anthropic });
    const chat = uid();
    telegram.failWhen((m, p) => m === "sendMessage" && p.chat_id === chat && p.parse_mode === "HTML", {
      error_code: 400,
      description: 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 3',
    });
    expect((await a.webhook(request(textUpdate(chat, "format me [[markdown]]")))).status).toBe(200);
    const [sent] = telegram.messagesTo(chat);
    expect(sent.parse_mode).toBeUndefined();
    expect(String(sent.text)).toContain("bold");
  });

  it("a /reset whose answer could not be sent: the redelivery re-sends it and does not reset again", async () => {
    const prefix = uniquePrefix();
    const clock = new ManualClock();
    const a = await inProcessApp({ telegram, anthropic }, { prefix, clock });
    const chat = uid();
    await a.webhook(request(textUpdate(chat, "remember this")));
    const reset = textUpdate(chat, "/reset");
    telegram.failWhen((m, p) => m === "sendMessage" && p.chat_id === chat, FLOOD, 1);
    expect((await a.webhook(request(reset))).status).toBe(503);
    expect((await storedConversation(chat, prefix))!.turns).toHaveLength(0); // the reset happened
    await a.webhook(request(textUpdate(chat, "a new start")));
    expect((await a.webhook(request(reset))).status).toBe(200);
    expect(telegram.messagesTo(chat).map((m) => m.text)).toEqual([
      "echo: remember this",
      "echo: a new start",
      "Done: I've forgotten this chat's history.",
    ]);
    expect((await storedConversation(chat, prefix))!.turns).toHaveLength(1); // not reset twice
  });

  it("a /reset whose commit failed wrote nothing; the redelivery completes it once", async () => {
    const prefix = uniquePrefix();
    const a = await inProcessApp({ telegram, anthropic }, { prefix, faulty: true });
    const chat = uid();
    await a.webhook(request(textUpdate(chat, "forget me")));
    const reset = textUpdate(chat, "/reset");
    a.faulty!.inject({ kind: "fail" }, { times: 3 });
    expect((await a.webhook(request(reset))).status).toBe(503);
    expect((await storedConversation(chat, prefix))!.turns).toHaveLength(1);
    expect(await claimOf(prefix, reset.update_id)).toBeUndefined();
    expect((await a.webhook(request(reset))).status).toBe(200);
    expect((await a.webhook(request(reset))).status).toBe(200);
    expect((await storedConversation(chat, prefix))!.turns).toHaveLength(0);
    expect(telegram.messagesTo(chat).map((m) => m.text)).toEqual([
      "echo: forget me",
      "Done: I've forgotten this chat's history.",
    ]);
  });

  it("REPLY_FORMAT=rich: the stored reply goes as a rich message; a rich rejection sends that part as HTML once", async () => {
    const prefix = uniquePrefix();
    const a = await inProcessApp({ telegram, anthropic }, { prefix, config: { REPLY_FORMAT: "rich" } });
    const chat = uid();
    const first = textUpdate(chat, "table please");
    expect((await a.webhook(request(first))).status).toBe(200);
    expect(telegram.richMessagesTo(chat)).toMatchObject([
      {
        rich_message: { markdown: "echo: table please" },
        reply_parameters: { message_id: first.message.message_id },
      },
    ]);
    expect(telegram.messagesTo(chat)).toEqual([]);

    telegram.failWhen((m, p) => m === "sendRichMessage" && p.chat_id === chat, {
      error_code: 400,
      description: "Bad Request: RICH_MESSAGE_EMAIL_INVALID",
    });
    const second = textUpdate(chat, "mail a@b");
    expect((await a.webhook(request(second))).status).toBe(200);
    expect(telegram.messagesTo(chat)).toMatchObject([{ text: "echo: mail a@b", parse_mode: "HTML" }]);
    await a.state.receipts.flush();
    expect(await claimOf(prefix, second.update_id)).toMatchObject({ state: "done", sent: 1 });
  });

  it("REPLY_FORMAT=rich: a rich send Telegram did not take is re-sent as rich by the redelivery, never as HTML meanwhile", async () => {
    const prefix = uniquePrefix();
    const clock = new ManualClock();
    const a = await inProcessApp(
      { telegram, anthropic },
      { prefix, clock, config: { REPLY_FORMAT: "rich" } },
    );
    const chat = uid();
    const update = textUpdate(chat, "try again");
    telegram.failWhen((m, p) => m === "sendRichMessage" && p.chat_id === chat, FLOOD, 1);
    expect((await a.webhook(request(update))).status).toBe(503);
    expect(telegram.messagesTo(chat)).toEqual([]); // no second send in another format
    expect(await claimOf(prefix, update.update_id)).toMatchObject({ state: "undelivered", sent: 0 });
    expect((await a.webhook(request(update))).status).toBe(200);
    expect(telegram.richMessagesTo(chat).map((m) => m.rich_message.markdown)).toEqual(["echo: try again"]);
    expect(anthropic.requestsContaining("try again")).toHaveLength(1);
  });
});
