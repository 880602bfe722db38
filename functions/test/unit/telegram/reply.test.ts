import { Api, GrammyError, HttpError } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeTelegram, startFakeTelegram } from "../../../devtools/fake-telegram.js";
import { t } from "../../../src/i18n/catalogue.js";
import { escapeMarkdown, markdownToTelegramHtml } from "../../../src/telegram/format.js";
import {
  classifySendError,
  isFormattingRejected,
  isRichRejected,
  keepTyping,
  sendPart,
  TYPING_DELAY_MS,
} from "../../../src/telegram/reply.js";
import { ManualClock } from "../../support/clock.js";
import { captureLogs } from "../../support/logs.js";

const grammy = (error_code: number, description: string) =>
  new GrammyError("x", { ok: false, error_code, description }, "sendMessage", {});

// One loopback Bot API for the sends and the typing indicator below.
let fake: FakeTelegram;
let api: Api;
beforeAll(async () => {
  fake = await startFakeTelegram({ port: 0 });
  api = new Api("42:token", { apiRoot: fake.url });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe("send failures, by status", () => {
  it("403 blocked, 400 refused for good, 429/5xx/401 retried later, transport errors unknown", () => {
    expect(classifySendError(grammy(403, "Forbidden: bot was blocked by the user"))).toBe("blocked");
    expect(classifySendError(grammy(400, "Bad Request: chat not found"))).toBe("refused");
    expect(classifySendError(grammy(429, "Too Many Requests"))).toBe("retry");
    expect(classifySendError(grammy(502, "Bad Gateway"))).toBe("retry");
    expect(classifySendError(grammy(401, "Unauthorized"))).toBe("retry");
    expect(classifySendError(new HttpError("Network request failed", new Error("ECONNRESET")))).toBe(
      "unknown",
    );
  });

  it("only a formatting rejection triggers the plain-text resend", () => {
    expect(
      isFormattingRejected(grammy(400, "Bad Request: can't parse entities: Unsupported start tag")),
    ).toBe(true);
    expect(isFormattingRejected(grammy(400, "Bad Request: not enough rights to send text messages"))).toBe(
      false,
    );
    expect(isFormattingRejected(grammy(400, "Bad Request: message thread not found"))).toBe(false);
    expect(isFormattingRejected(grammy(403, "can't parse entities"))).toBe(false);
  });
});

describe("values users chose are shown literally", () => {
  it("no link, no formatting, no auto-detected URL can be smuggled in through a name", () => {
    const html = markdownToTelegramHtml(
      t("en", "welcome", { name: "[click](https://evil.example) *x* evil.com" }),
    );
    expect(html).not.toContain("<a ");
    expect(html).not.toContain("<b>");
    expect(html).not.toMatch(/https?:\/\/evil/);
    expect(html).not.toContain("evil.com");
    expect(html.replace(/\u200b/g, "")).toContain("[click](https://evil.example) *x* evil.com");
    expect(escapeMarkdown("plain")).toBe("plain");
  });
});

describe("rich replies", () => {
  const rich = (error_code: number, description: string, method = "sendRichMessage") =>
    new GrammyError("x", { ok: false, error_code, description }, method, {});

  it("only Telegram refusing the rich content (or not knowing the method) is a rich rejection", () => {
    expect(isRichRejected(rich(400, "Bad Request: RICH_MESSAGE_EMAIL_INVALID"))).toBe(true);
    expect(isRichRejected(rich(400, "Bad Request: RICH_VALIDATE_CTOR_NOT_ALLOWED"))).toBe(true);
    expect(isRichRejected(rich(400, "Bad Request: rich message must be non-empty"))).toBe(true);
    expect(isRichRejected(rich(400, "Bad Request: can't parse rich message"))).toBe(true);
    expect(isRichRejected(rich(404, "Not Found: method not found"))).toBe(true);
    expect(isRichRejected(rich(404, "Not Found", "sendMessage"))).toBe(false);
    expect(isRichRejected(rich(400, "Bad Request: chat not found"))).toBe(false);
    expect(isRichRejected(rich(400, "Bad Request: not enough rights to send text messages"))).toBe(false);
    expect(isRichRejected(rich(403, "Forbidden: bot was blocked by the user"))).toBe(false);
    expect(isRichRejected(rich(429, "Too Many Requests: retry after 5"))).toBe(false);
    expect(isRichRejected(new HttpError("Network request failed", new Error("ECONNRESET")))).toBe(false);
  });

  describe("sendPart", () => {
    const send = (format: "html" | "rich" | undefined, over: { api?: Api } = {}) => {
      const { log, lines } = captureLogs("debug");
      const sent = sendPart(
        over.api ?? api,
        { chatId: 5, replyTo: 9 },
        "# Sum\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        {
          log,
          signal: new AbortController().signal,
          first: true,
          format,
        },
      );
      return { sent, lines };
    };

    it("a rich part is one sendRichMessage with Claude's Markdown, threaded to the user's message", async () => {
      await send("rich").sent;
      expect(fake.calls.map((c) => c.method)).toEqual(["sendRichMessage"]);
      expect(fake.richMessagesTo(5)[0]).toMatchObject({
        rich_message: { markdown: "# Sum\n\n| a | b |\n|---|---|\n| 1 | 2 |" },
        reply_parameters: { message_id: 9, allow_sending_without_reply: true },
      });
    });

    it("HTML stays the default", async () => {
      await send(undefined).sent;
      expect(fake.calls.map((c) => c.method)).toEqual(["sendMessage"]);
      expect(fake.messagesTo(5)[0]).toMatchObject({ parse_mode: "HTML" });
    });

    it("a rich part Telegram refuses goes once more, as HTML, still threaded", async () => {
      fake.failNext("sendRichMessage", {
        error_code: 400,
        description: "Bad Request: RICH_MESSAGE_EMAIL_INVALID",
      });
      const { sent, lines } = send("rich");
      await sent;
      expect(fake.calls.map((c) => [c.method, c.ok])).toEqual([
        ["sendRichMessage", false],
        ["sendMessage", true],
      ]);
      expect(fake.messagesTo(5)[0]).toMatchObject({
        parse_mode: "HTML",
        reply_parameters: { message_id: 9 },
      });
      expect(lines.some((l) => l.message === "rich reply refused; sending it as HTML")).toBe(true);
    });

    it("any other failure is thrown, with no second send in another format", async () => {
      fake.failNext("sendRichMessage", { error_code: 400, description: "Bad Request: chat not found" });
      await expect(send("rich").sent).rejects.toMatchObject({ error_code: 400 });
      fake.failNext("sendRichMessage", { error_code: 502, description: "Bad Gateway" });
      await expect(send("rich").sent).rejects.toMatchObject({ error_code: 502 });
      expect(fake.calls.map((c) => c.method)).toEqual(["sendRichMessage", "sendRichMessage"]);
    });

    it("an unknown outcome (the request may have arrived) is thrown, never answered with an HTML copy", async () => {
      let html = 0;
      const unsure = {
        sendRichMessage: () =>
          Promise.reject(new HttpError("Network request failed", new Error("ECONNRESET"))),
        sendMessage: () => {
          html++;
          return Promise.resolve({});
        },
      } as unknown as Api;
      const err = await send("rich", { api: unsure }).sent.catch((e: unknown) => e);
      expect(classifySendError(err)).toBe("unknown");
      expect(html).toBe(0);
    });
  });
});

describe("keepTyping", () => {
  const typingCalls = () => fake.callsFor("sendChatAction").map((c) => c.payload);

  it("says nothing for a turn that ends within the delay", async () => {
    const clock = new ManualClock();
    const typing = keepTyping(api, 5, { log: captureLogs().log, clock });
    clock.advance(TYPING_DELAY_MS - 1);
    await typing.stop();
    clock.advance(60_000);
    expect(typingCalls()).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it("from the delay on, shows typing every 4 s, in the topic, until stopped", async () => {
    const clock = new ManualClock();
    const typing = keepTyping(api, 5, { log: captureLogs().log, clock, threadId: 7 });
    const shown = (n: number) => fake.waitFor(() => typingCalls().length === n, 5_000);
    clock.advance(TYPING_DELAY_MS);
    await shown(1);
    clock.advance(3_999);
    expect(typingCalls()).toHaveLength(1);
    clock.advance(1);
    await shown(2);
    clock.advance(4_000);
    await typing.stop(); // waits for the last indicator on the wire
    expect(typingCalls()).toEqual(
      Array.from({ length: 3 }, () => ({ chat_id: 5, action: "typing", message_thread_id: 7 })),
    );
    clock.advance(60_000);
    expect(typingCalls()).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });
});
