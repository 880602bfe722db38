import Anthropic from "@anthropic-ai/sdk";
import { Api, GrammyError, HttpError } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../../../devtools/fake-anthropic.js";
import { type FakeTelegram, startFakeTelegram } from "../../../devtools/fake-telegram.js";
import { runAgent, type StreamMessage } from "../../../src/agent/loop.js";
import { sdkStreamMessage } from "../../../src/agent/model-stream.js";
import { ALL_TOOLS } from "../../../src/agent/tools/index.js";
import { Metrics } from "../../../src/observability/metrics.js";
import { DEFAULT_SKILL } from "../../../src/state/skills.js";
import { retryExceptDrafts } from "../../../src/telegram/bot.js";
import { replyParts } from "../../../src/telegram/deliver.js";
import {
  ASSUMED_DRAFT_LIMIT,
  DRAFT_FRAME_INTERVAL_MS,
  DraftPacer,
} from "../../../src/telegram/draft-pacer.js";
import { DraftStream, type DraftStreamOptions, draftIdFor } from "../../../src/telegram/draft-stream.js";
import { markdownToTelegramHtml } from "../../../src/telegram/format.js";
import { sendPart } from "../../../src/telegram/reply.js";
import { systemClock } from "../../../src/timeouts.js";
import { ManualClock } from "../../support/clock.js";
import { captureLogs } from "../../support/logs.js";

interface Call {
  method: string;
  chatId: number;
  draftId: number;
  /** The HTML text, or the rich markdown. */
  body: string;
  other: Record<string, unknown>;
  signal: AbortSignal | undefined;
  ok(): void;
  fail(err: unknown): void;
}

/** A Bot API whose draft calls stay pending until the test answers them (or their signal aborts). */
function heldApi() {
  const calls: Call[] = [];
  const record =
    (method: string) =>
    (
      chatId: number,
      draftId: number,
      body: unknown,
      other: Record<string, unknown> = {},
      signal?: AbortSignal,
    ) =>
      new Promise<true>((resolve, reject) => {
        signal?.addEventListener("abort", () => reject(new HttpError("aborted", signal.reason)), {
          once: true,
        });
        calls.push({
          method,
          chatId,
          draftId,
          body: typeof body === "string" ? body : (body as { markdown: string }).markdown,
          other,
          signal,
          ok: () => resolve(true),
          fail: reject,
        });
      });
  const api = {
    sendMessageDraft: record("sendMessageDraft"),
    sendRichMessageDraft: record("sendRichMessageDraft"),
  } as unknown as Api;
  return { api, calls };
}

const tooMany = (retryAfter: number) =>
  new GrammyError(
    "x",
    { ok: false, error_code: 429, description: "Too Many Requests", parameters: { retry_after: retryAfter } },
    "sendMessageDraft",
    {},
  );
const refused = (code: number, description: string) =>
  new GrammyError("x", { ok: false, error_code: code, description }, "sendMessageDraft", {});

/** Lets the promise callbacks of an answered call run (no time passes on any clock). */
const settle = () => new Promise<void>((r) => setImmediate(r));

function setup(over: Partial<DraftStreamOptions> = {}) {
  const clock = new ManualClock();
  const { api, calls } = heldApi();
  const { log, lines } = captureLogs("debug");
  const pacer = new DraftPacer(clock);
  const draft = new DraftStream({ api, clock, log, pacer, chatId: 42, draftId: 7, ...over });
  return { clock, calls, lines, pacer, draft };
}

describe("draft stream: frames", () => {
  it("the first text is shown at once, as HTML, in the turn's draft", () => {
    const { calls, draft } = setup();
    draft.text("Hello **wor");
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      method: "sendMessageDraft",
      chatId: 42,
      draftId: 7,
      body: "Hello <b>wor</b>",
      other: { parse_mode: "HTML" },
    });
  });

  it("text arriving meanwhile is coalesced into one frame, sent when the chat's interval has passed", async () => {
    const { clock, calls, draft } = setup();
    draft.text("a");
    draft.text("b");
    draft.text("c");
    expect(calls).toHaveLength(1); // one frame on the wire at a time
    calls[0]!.ok();
    await settle();
    expect(calls).toHaveLength(1); // the interval has not passed
    clock.advance(DRAFT_FRAME_INTERVAL_MS - 1);
    expect(calls).toHaveLength(1);
    clock.advance(1);
    expect(calls.map((c) => c.body)).toEqual(["a", "abc"]);
  });

  it("a frame that would look the same is not sent", async () => {
    const { clock, calls, draft } = setup();
    draft.text("same");
    calls[0]!.ok();
    await settle();
    draft.text(""); // an empty delta changes nothing on screen
    clock.advance(DRAFT_FRAME_INTERVAL_MS * 3);
    expect(calls).toHaveLength(1);
    draft.toolStarted("calculator");
    clock.advance(DRAFT_FRAME_INTERVAL_MS);
    expect(calls).toHaveLength(2);
    calls[1]!.ok();
    await settle();
    draft.toolStarted("calculator"); // the same tool again: the same frame
    clock.advance(DRAFT_FRAME_INTERVAL_MS * 3);
    expect(calls).toHaveLength(2);
  });

  it("a tool shows 'Using <tool>…'; after a tool round the next request's text replaces the draft", async () => {
    const { clock, calls, draft } = setup();
    draft.text("Let me calculate.");
    calls[0]!.ok();
    await settle();
    draft.toolStarted("calculator");
    draft.requestDone({ stopReason: "tool_use" });
    clock.advance(DRAFT_FRAME_INTERVAL_MS);
    expect(calls[1]!.body).toBe("Let me calculate.\n\n<i>Using calculator…</i>");
    calls[1]!.ok();
    await settle();
    draft.text("It is 42.");
    clock.advance(DRAFT_FRAME_INTERVAL_MS);
    expect(calls[2]!.body).toBe("It is 42.");
  });

  it("a server tool inside one request separates text runs with a blank line, as the delivered answer does", async () => {
    const { clock, calls, draft } = setup();
    draft.text("Searching.");
    draft.toolStarted("web_search");
    draft.text("Found it.");
    calls[0]!.ok();
    await settle();
    clock.advance(DRAFT_FRAME_INTERVAL_MS);
    expect(calls[1]!.body).toBe("Searching.\n\nFound it.");
  });

  it("passes the private chat's topic and, when asked, Telegram's stop button", () => {
    const { calls, draft } = setup({ threadId: 3, canStop: true });
    draft.text("x");
    expect(calls[0]!.other).toEqual({ parse_mode: "HTML", message_thread_id: 3, can_stop: true });
  });

  it("rich drafts send the markdown; a refused rich frame falls back to HTML for the rest of the turn", async () => {
    const { clock, calls, draft, lines } = setup({ format: "rich" });
    draft.text("| a | b |");
    expect(calls[0]).toMatchObject({ method: "sendRichMessageDraft", body: "| a | b |" });
    calls[0]!.fail(refused(400, "Bad Request: RICH_MESSAGE_TOO_MANY_BLOCKS"));
    await settle();
    clock.advance(DRAFT_FRAME_INTERVAL_MS);
    expect(calls[1]).toMatchObject({ method: "sendMessageDraft", body: "| a | b |" });
    calls[1]!.ok();
    expect((await draft.finish()).format).toBe("html");
    expect(lines.some((l) => l.message === "rich draft refused; drafts continue as HTML")).toBe(true);
  });

  it("onFirstFrame is told once, when Telegram accepted the first frame (e.g. to stop typing)", async () => {
    let told = 0;
    const { clock, calls, draft } = setup({ onFirstFrame: () => told++ });
    draft.text("a");
    expect(told).toBe(0);
    calls[0]!.fail(tooMany(1));
    await settle();
    expect(told).toBe(0);
    clock.advance(1000);
    calls[1]!.ok();
    await settle();
    draft.text("b");
    clock.advance(DRAFT_FRAME_INTERVAL_MS);
    calls[2]!.ok();
    await settle();
    expect(told).toBe(1);
  });

  it("the status line can be given in the user's language", () => {
    const { calls, draft } = setup({ status: (tool) => `_Benutze ${tool}…_` });
    draft.toolStarted("calculator");
    expect(calls[0]!.body).toBe("<i>Benutze calculator…</i>");
  });

  it("draft ids are non-zero", () => {
    expect(draftIdFor(0)).toBe(1);
    expect(draftIdFor(815)).toBe(815);
  });
});

describe("draft stream: Telegram's limits and failures never reach the turn", () => {
  it("a 429 skips frames until retry_after has passed, then the newest text is shown", async () => {
    const { clock, calls, draft } = setup();
    draft.text("one");
    calls[0]!.fail(tooMany(2));
    await settle();
    draft.text(" two");
    draft.text(" three");
    clock.advance(1999);
    expect(calls).toHaveLength(1);
    clock.advance(1);
    expect(calls.map((c) => c.body)).toEqual(["one", "one two three"]);
    calls[1]!.ok();
    const stats = await draft.finish();
    expect(stats).toMatchObject({ frames: 1, rateLimited: 1, failed: 0, stopped: null });
  });

  it("a chat that refuses drafts (400, 403, 404) ends them for the turn", async () => {
    for (const [code, description] of [
      [400, "Bad Request: message drafts can be sent only to private chats"],
      [403, "Forbidden: bot was blocked by the user"],
      [404, "Not Found: method not found"],
    ] as const) {
      const { clock, calls, draft } = setup();
      draft.text("x");
      calls[0]!.fail(refused(code, description));
      await settle();
      draft.text("y");
      clock.advance(10_000);
      expect(calls).toHaveLength(1);
      expect((await draft.finish()).stopped).toBe("refused");
    }
  });

  it("network errors and 5xx are retried with the newest text, up to three in a row", async () => {
    const { clock, calls, draft } = setup();
    draft.text("a");
    calls[0]!.fail(new HttpError("reset", new Error("ECONNRESET")));
    await settle();
    clock.advance(DRAFT_FRAME_INTERVAL_MS);
    expect(calls).toHaveLength(2);
    calls[1]!.ok(); // a success resets the count
    await settle();
    for (let i = 0; i < 3; i++) {
      draft.text(String(i));
      clock.advance(DRAFT_FRAME_INTERVAL_MS);
      calls.at(-1)!.fail(refused(502, "Bad Gateway"));
      await settle();
    }
    draft.text("more");
    clock.advance(10_000);
    const stats = await draft.finish();
    expect(stats).toMatchObject({ frames: 1, failed: 4, stopped: "failing" });
    expect(calls).toHaveLength(5);
  });

  it("an Api that throws synchronously does not throw into the caller", async () => {
    const { clock, draft } = setup({
      api: {
        sendMessageDraft: () => {
          throw new Error("boom");
        },
      } as unknown as Api,
    });
    expect(() => draft.text("x")).not.toThrow();
    await settle();
    clock.advance(DRAFT_FRAME_INTERVAL_MS);
    await expect(draft.finish()).resolves.toMatchObject({ failed: expect.any(Number) });
  });

  it("past the turn's deadline, drafts stop", async () => {
    const deadline = new AbortController();
    const { calls, draft } = setup({ signal: deadline.signal });
    draft.text("x");
    deadline.abort();
    await settle();
    draft.text("y");
    expect(calls).toHaveLength(1);
    expect((await draft.finish()).stopped).toBe("deadline");
  });
});

describe("draft stream: finish() before the final message", () => {
  it("no frame leaves after finish(), even when one was waiting for the interval", async () => {
    const { clock, calls, draft } = setup();
    draft.text("a");
    calls[0]!.ok();
    await settle();
    draft.text("b"); // waits for the interval
    const stats = await draft.finish();
    clock.advance(60_000);
    draft.text("c");
    draft.toolStarted("x");
    expect(calls).toHaveLength(1);
    expect(clock.pending).toBe(0);
    expect(stats).toMatchObject({ frames: 1, firstFrameAt: clock.now() - 60_000 });
  });

  it("waits for a frame on the wire, so it cannot land after the answer", async () => {
    const { calls, draft } = setup();
    draft.text("a");
    let done = false;
    const finished = draft.finish().then((s) => {
      done = true;
      return s;
    });
    await settle();
    expect(done).toBe(false);
    calls[0]!.ok();
    expect((await finished).frames).toBe(1);
  });

  it("gives a stuck frame settleMs, then aborts it", async () => {
    const { clock, calls, draft } = setup({ settleMs: 500 });
    draft.text("a");
    const finished = draft.finish();
    await settle();
    clock.advance(499);
    await settle();
    expect(calls[0]!.signal?.aborted).toBe(false);
    clock.advance(1);
    await settle();
    expect(calls[0]!.signal?.aborted).toBe(true);
    expect(await finished).toMatchObject({ frames: 0, failed: 0, stopped: null });
  });
});

describe("draft stream against the fakes, through the real SDK and grammY", () => {
  let telegram: FakeTelegram;
  let anthropic: FakeAnthropic;
  let api: Api;
  let stream: StreamMessage;

  beforeAll(async () => {
    [telegram, anthropic] = await Promise.all([startFakeTelegram(), startFakeAnthropic()]);
    api = new Api("42:token", { apiRoot: telegram.url });
    api.config.use(retryExceptDrafts());
    stream = sdkStreamMessage(new Anthropic({ baseURL: anthropic.url, apiKey: "test", maxRetries: 0 }));
  });
  afterAll(() => Promise.all([telegram.close(), anthropic.close()]));
  beforeEach(() => {
    telegram.reset();
    anthropic.reset();
    telegram.rateLimit({ ...ASSUMED_DRAFT_LIMIT, methods: ["sendMessageDraft", "sendRichMessageDraft"] });
  });

  /** One private-chat turn the way the pipeline runs it: drafts while the model writes, then the fenced delivery. */
  async function turn(prompt: string, format: "html" | "rich") {
    const { log } = captureLogs("debug");
    const chatId = 4242;
    const draft = new DraftStream({
      api,
      clock: systemClock,
      log,
      pacer: new DraftPacer(systemClock),
      chatId,
      draftId: draftIdFor(77),
      format,
    });
    const result = await runAgent({
      history: [{ role: "user", content: [{ type: "text", text: prompt }] }],
      skill: DEFAULT_SKILL,
      tools: ALL_TOOLS.filter((t) => !t.perUser),
      model: "claude-sonnet-4-6",
      maxTokens: 4096,
      maxIterations: 4,
      locale: "en",
      toolContext: { userId: 1, chatId, notes: undefined as never, now: () => new Date(0), log },
      createMessage: () => Promise.reject(new Error("a private chat's turn is streamed")),
      streamMessage: stream,
      observer: draft,
      metrics: new Metrics(),
      log,
    });
    const stats = await draft.finish();
    const parts = replyParts(result.text);
    for (const [k, part] of parts.entries()) {
      await sendPart(api, { chatId, replyTo: 5 }, part, {
        log,
        signal: AbortSignal.timeout(10_000),
        first: k === 0,
        format,
      });
    }
    return { result, stats, chatId };
  }

  it("HTML: every frame is accepted, all in one draft, all before the answer's message", async () => {
    const { result, stats, chatId } = await turn(
      'x [[tool:calculator {"expression":"6*7"}]] [[markdown]] [[drip:2]]',
      "html",
    );
    const calls = telegram.calls.filter((c) => String(c.payload.chat_id) === String(chatId));
    const drafts = calls.filter((c) => c.method === "sendMessageDraft");
    expect(drafts.length).toBeGreaterThan(0);
    expect(drafts.every((c) => c.ok && c.payload.draft_id === 77 && c.payload.parse_mode === "HTML")).toBe(
      true,
    );
    expect(calls.at(-1)!.method).toBe("sendMessage");
    expect(calls.findIndex((c) => c.method === "sendMessage")).toBe(calls.length - 1);
    expect(telegram.messagesTo(chatId)[0]!.text).toBe(markdownToTelegramHtml(result.text));
    expect(stats).toMatchObject({ frames: drafts.length, failed: 0, stopped: null });
  });

  it("rich: markdown frames, then one rich message", async () => {
    const { result, chatId } = await turn("[[markdown]] [[drip:2]]", "rich");
    const calls = telegram.calls.filter((c) => String(c.payload.chat_id) === String(chatId));
    expect(calls.every((c) => c.ok)).toBe(true);
    expect(calls.at(-1)!.method).toBe("sendRichMessage");
    expect(new Set(calls.slice(0, -1).map((c) => c.method))).toEqual(new Set(["sendRichMessageDraft"]));
    expect(telegram.richMessagesTo(chatId)[0]!.rich_message.markdown).toBe(result.text);
  });
});
