import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../../../devtools/fake-anthropic.js";
import { AgentError } from "../../../src/agent/agent-error.js";
import {
  type AgentInput,
  type AgentObserver,
  type CreateMessage,
  runAgent,
  StreamInterruptedError,
  type StreamMessage,
  WEB_SEARCH_TOOL_TYPE,
} from "../../../src/agent/loop.js";
import { classifyModelError } from "../../../src/agent/model-errors.js";
import { sdkStreamMessage } from "../../../src/agent/model-stream.js";
import { ALL_TOOLS } from "../../../src/agent/tools/index.js";
import { t } from "../../../src/i18n/catalogue.js";
import { Metrics } from "../../../src/observability/metrics.js";
import { replyText, sanitizeReply, toModelMessages } from "../../../src/state/history.js";
import type { StoredMessage, Turn } from "../../../src/state/schemas.js";
import { DEFAULT_SKILL } from "../../../src/state/skills.js";
import { captureLogs } from "../../support/logs.js";

type Block = Record<string, unknown>;
const message = (content: Block[], stop: string): Anthropic.Message =>
  ({
    id: "m",
    type: "message",
    role: "assistant",
    model: "x",
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: {
      input_tokens: 100,
      output_tokens: 10,
      cache_read_input_tokens: 50,
      cache_creation_input_tokens: 0,
    },
  }) as unknown as Anthropic.Message;

function scripted(answers: (Anthropic.Message | Error)[]) {
  const requests: Anthropic.MessageCreateParamsNonStreaming[] = [];
  const create: CreateMessage = async (params) => {
    requests.push(structuredClone(params));
    const next = answers.shift();
    if (!next) throw new Error("no more scripted answers");
    if (next instanceof Error) throw next;
    return next;
  };
  return { create, requests };
}

const saved: string[] = [];
const notes = {
  add: async (_user: number, text: string) => {
    saved.push(text);
    return { id: "n1", count: saved.length };
  },
  list: async () => [],
  remove: async () => false,
} as never;

function run(create: CreateMessage, over: Partial<AgentInput> = {}) {
  const { log, lines } = captureLogs();
  return runAgent({
    history: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    skill: DEFAULT_SKILL,
    tools: ALL_TOOLS,
    model: "claude-sonnet-4-6",
    maxTokens: 100,
    maxIterations: 4,
    toolContext: { userId: 1, chatId: 1, notes, now: () => new Date(0), log },
    locale: "en",
    createMessage: create,
    metrics: new Metrics(),
    log,
    ...over,
  }).then((result) => ({ ...result, lines }));
}

const blocksOf = (m: { content: unknown } | undefined) =>
  (typeof m?.content === "string" ? [{ type: "text", text: m.content }] : (m?.content ?? [])) as Block[];

describe("runAgent (scripted)", () => {
  it("answers directly; tools and system carry no per-request text; breakpoints on tools, system and the last block", async () => {
    const { create, requests } = scripted([message([{ type: "text", text: "hello" }], "end_turn")]);
    const r = await run(create);
    expect(r).toMatchObject({ text: "hello", outcome: "answered", keep: true, stopReason: "end_turn" });
    expect(r.reply).toEqual([{ role: "assistant", content: [{ type: "text", text: "hello" }] }]);
    const req = requests[0]!;
    expect(req.max_tokens).toBe(100);
    expect((req.system as unknown as Block[]).at(-1)!.cache_control).toEqual({ type: "ephemeral" });
    expect(req.tools!.at(-1)).toMatchObject({ cache_control: { type: "ephemeral" } });
    expect(blocksOf(req.messages.at(-1)).at(-1)!.cache_control).toEqual({ type: "ephemeral" });
    expect(req.tools!.map((t) => (t as { name: string }).name)).toEqual([
      "current_time",
      "calculator",
      "notes",
    ]);
    expect(req.tool_choice).toBeUndefined();
    expect(
      (req.tools![1] as { input_schema: { properties: object } }).input_schema.properties,
    ).toHaveProperty("expression");
    expect(r.usage).toMatchObject({ inputTokens: 100, outputTokens: 10, cacheReadTokens: 50 });
    expect(r.usage.costUsd).toBeGreaterThan(0);
  });

  it("runs a tool and sends the result back in the next user turn", async () => {
    const { create, requests } = scripted([
      message([{ type: "tool_use", id: "t1", name: "calculator", input: { expression: "6*7" } }], "tool_use"),
      message([{ type: "text", text: "42" }], "end_turn"),
    ]);
    const r = await run(create);
    expect(r.text).toBe("42");
    const last = requests[1]!.messages.at(-1)!;
    expect(last).toEqual({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "t1", content: "42", cache_control: { type: "ephemeral" } },
      ],
    });
    // The second request reads exactly what the first wrote: a breakpoint where the first one ended.
    expect(blocksOf(requests[1]!.messages[0]).at(-1)!.cache_control).toEqual({ type: "ephemeral" });
    expect(r.reply).toHaveLength(3);
    expect(r.reply[1]!.content).toEqual([{ type: "tool_result", tool_use_id: "t1", content: "42" }]); // stored unmarked
  });

  it("an unknown tool and invalid input become tool_result with is_error: true", async () => {
    const { create, requests } = scripted([
      message(
        [
          { type: "tool_use", id: "a", name: "rm_rf", input: {} },
          { type: "tool_use", id: "b", name: "calculator", input: { expression: 5 } },
          { type: "tool_use", id: "c", name: "calculator", input: { expression: "1/0" } },
        ],
        "tool_use",
      ),
      message([{ type: "text", text: "sorry" }], "end_turn"),
    ]);
    await run(create);
    const results = requests[1]!.messages.at(-1)!.content as unknown as Block[];
    expect(results.map((b) => [b.tool_use_id, b.is_error])).toEqual([
      ["a", true],
      ["b", true],
      ["c", true],
    ]);
    expect(String(results[2]!.content)).toContain("division by zero");
  });

  it("without tools, a stray pause_turn or tool_use ends the turn instead of looping", async () => {
    for (const stop of ["pause_turn", "tool_use"]) {
      const { create, requests } = scripted([
        message(
          [
            { type: "text", text: "partial" },
            { type: "tool_use", id: "x", name: "calculator", input: {} },
          ],
          stop,
        ),
      ]);
      const r = await run(create, { tools: [] });
      expect(requests).toHaveLength(1);
      expect(requests[0]!.tools).toBeUndefined();
      expect(r.reply).toEqual([{ role: "assistant", content: [{ type: "text", text: "partial" }] }]);
    }
  });

  it("a failure after billed requests throws AgentError carrying their usage", async () => {
    const overloaded = Anthropic.APIError.generate(
      529,
      { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
      undefined,
      new Headers(),
    );
    const { create } = scripted([
      message([{ type: "tool_use", id: "t1", name: "calculator", input: { expression: "1+1" } }], "tool_use"),
      overloaded,
    ]);
    const err = await run(create).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    const agentError = err as AgentError;
    expect(agentError.cause).toBe(overloaded);
    expect(agentError.requests).toBe(2);
    expect(agentError.usage).toMatchObject({ inputTokens: 100, outputTokens: 10, cacheReadTokens: 50 });
    expect(agentError.usage.costUsd).toBeGreaterThan(0);
    expect(classifyModelError(err)).toBe("overloaded");
  });

  it("a failure on the first request still throws AgentError (zero usage) wrapping the cause", async () => {
    const err = await run(scripted([new Error("network")]).create).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).cause).toMatchObject({ message: "network" });
    expect((err as AgentError).usage.inputTokens).toBe(0);
    expect(classifyModelError(err)).toBeNull(); // not from the API: a bug, propagated
  });
});

describe("runAgent against the fake Messages API", () => {
  let fake: FakeAnthropic;
  let create: CreateMessage;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0 });
    const client = new Anthropic({ baseURL: fake.url, apiKey: "test", maxRetries: 0 });
    create = (params, options) => client.messages.create(params, options);
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    saved.length = 0;
  });

  const ask = (text: string, over: Partial<AgentInput> = {}) =>
    run(create, { history: [{ role: "user", content: [{ type: "text", text }] }], ...over });
  const bodies = () => fake.requests.map((r) => r.body);

  it("the iteration bound ends with one request that may not call tools, answering from every result", async () => {
    const r = await ask("count [[loop]]", { maxIterations: 3 });
    const sent = bodies();
    expect(sent).toHaveLength(3);
    expect(sent.slice(0, 2).every((b) => b.tool_choice === undefined)).toBe(true);
    expect(sent[2].tool_choice).toEqual({ type: "none" });
    expect(sent[2].tools).toEqual(sent[0].tools); // same definitions: the cached prefix survives
    expect(r).toMatchObject({
      outcome: "iteration_limit",
      hitIterationLimit: true,
      keep: true,
      iterations: 3,
    });
    // Both rounds' results are stored and the answer is built on them.
    expect(r.reply.map((m) => m.role)).toEqual(["assistant", "user", "assistant", "user", "assistant"]);
    expect(r.text).toContain("tool result: 2");
    expect(r.text).toContain("I stopped after 3 tool steps");
    expect(r.text).toBe(replyText(r.reply));
    expect(r.reply).toEqual(sanitizeReply(r.reply)); // storable as is
  });

  it("max_tokens inside a tool_use block: nothing runs, the user is told, the reply stays valid", async () => {
    const r = await ask("remember milk [[stop:max_tokens]]");
    expect(r).toMatchObject({ outcome: "cut", keep: true, stopReason: "max_tokens", iterations: 1 });
    expect(saved).toEqual([]);
    expect(r.text).toBe(`Let me save that note:\n\n${t("en", "agent-cut-in-tool")}`);
    expect(JSON.stringify(r.reply)).not.toContain("tool_use");
    expect(r.text).toBe(replyText(r.reply));
    expect(r.lines.some((l) => l.message === "answer cut" && l.severity === "WARNING")).toBe(true);
  });

  it("max_tokens in plain text: the cut answer says so and how to continue", async () => {
    const r = await ask("[[long:2000]]", { maxTokens: 50 });
    expect(r.outcome).toBe("cut");
    expect(r.text.endsWith(`\n\n${t("en", "agent-cut")}`)).toBe(true);
    expect(r.text.length).toBeGreaterThan(150);
  });

  it.each([
    ["refusal", "refused", t("en", "agent-refused")],
    ["model_context_window_exceeded", "context_exceeded", t("en", "agent-context-exceeded")],
  ])("stop_reason %s: a clear message and the turn is not kept", async (stop, outcome, text) => {
    const r = await ask(`bad [[stop:${stop}]]`);
    expect(r).toMatchObject({ outcome, keep: false, reply: [], text, stopReason: stop });
    expect(r.usage.outputTokens).toBeGreaterThan(0); // still billed, still counted
    expect(r.text).not.toContain("I can't\n"); // the partial refusal text is not shown
  });

  it("an empty answer is shown and stored as a clear notice, not '(stopped)'", async () => {
    const r = await ask("[[empty]]");
    const empty = t("en", "agent-empty");
    expect(r.text).toBe(empty);
    expect(r.reply).toEqual([{ role: "assistant", content: [{ type: "text", text: empty }] }]);
  });

  it("notices are in the user's language, stored with the reply", async () => {
    const cut = await ask("[[long:2000]]", { maxTokens: 50, locale: "es" });
    expect(cut.text.endsWith(`\n\n${t("es", "agent-cut")}`)).toBe(true);
    expect(cut.text).toBe(replyText(cut.reply));
    const empty = await ask("[[empty]]", { locale: "de" });
    expect(empty.text).toBe(t("de", "agent-empty"));
    expect(empty.reply).toEqual(sanitizeReply(empty.reply)); // storable as is
    const refused = await ask("bad [[stop:refusal]]", { locale: "ru" });
    expect(refused.text).toBe(t("ru", "agent-refused"));
  });

  it("pause_turn continues the turn, sending the paused content back as-is", async () => {
    const r = await ask("news [[pause:2]]", { webSearchMaxUses: 3 });
    const sent = bodies();
    expect(sent).toHaveLength(3);
    expect(sent[1].messages.at(-1).role).toBe("assistant");
    expect(sent[2].messages.at(-1).content.filter((b: Block) => b.type === "server_tool_use")).toHaveLength(
      2,
    );
    expect(r).toMatchObject({ outcome: "answered", stopReason: "end_turn", keep: true });
    expect(r.reply).toHaveLength(1); // paused parts and the continuation are one assistant message
    expect(r.usage.webSearchRequests).toBe(2);
    expect(sent[0].tools.at(-1)).toMatchObject({
      type: WEB_SEARCH_TOOL_TYPE,
      name: "web_search",
      max_uses: 3,
    });
  });

  it("pause_turn is bounded by the iteration limit", async () => {
    const r = await ask("news [[pause:9]]", { webSearchMaxUses: 9, maxIterations: 3 });
    expect(bodies()).toHaveLength(3);
    expect(bodies()[2].tool_choice).toEqual({ type: "none" });
    expect(r.outcome).toBe("iteration_limit");
  });

  it("web search: server blocks stored verbatim, citations as links, searches billed; the next request is valid", async () => {
    const r = await ask("tell me [[search:grammy]]", { webSearchMaxUses: 2 });
    const types = blocksOf(r.reply[0]).map((b) => b.type);
    expect(types).toEqual(["server_tool_use", "web_search_tool_result", "text", "text"]);
    expect(r.text).toBe(
      "According to the search, grammy is well documented. ([Result for grammy](https://example.com/search/grammy))",
    );
    expect(r.usage.webSearchRequests).toBe(1);
    const withoutSearch = await ask("plain");
    expect(r.usage.costUsd - withoutSearch.usage.costUsd).toBeGreaterThan(0.0095); // + $0.01 per search

    // The stored turn goes back to the API as the next turn's history, and is accepted.
    const turn: Turn = {
      updateId: 1,
      userId: 1,
      at: {} as never,
      user: [{ type: "text", text: "tell me" }],
      reply: r.reply,
      status: "done",
    };
    const next = await run(create, {
      history: [...toModelMessages([turn]), { role: "user", content: [{ type: "text", text: "thanks" }] }],
    });
    expect(fake.requests.at(-1)!.status).toBe(200);
    expect(next.text).toBe("echo: thanks");
  });

  it("tools and system are byte-identical in every request of a turn and across turns", async () => {
    await ask('a [[tool:calculator {"expression":"2*3"}]] [[rounds:3]]');
    await ask("b");
    const prefixes = bodies().map((b) => JSON.stringify([b.tools, b.system]));
    expect(bodies().length).toBe(5);
    expect(new Set(prefixes).size).toBe(1);
  });

  it("typed API errors come back as AgentError and classify by type", async () => {
    const err = await ask("[[error:billing]]").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect(classifyModelError(err)).toBe("misconfigured");
  });

  it("every kept reply's text is replyText(reply), the one function a re-send uses", async () => {
    for (const text of ['x [[tool:calculator {"expression":"1+1"}]]', "[[search:x]]", "[[long:900]]"]) {
      const r = await ask(text, { webSearchMaxUses: 1, maxTokens: 4096 });
      expect(r.text).toBe(replyText(r.reply as StoredMessage[]));
    }
  });
});

describe("runAgent with the fake's prompt-cache simulation", () => {
  let fake: FakeAnthropic;
  let create: CreateMessage;
  const usages: Anthropic.Usage[] = [];
  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0, promptCaching: { minTokens: () => 200 } });
    const client = new Anthropic({ baseURL: fake.url, apiKey: "test", maxRetries: 0 });
    create = async (params, options) => {
      const m = await client.messages.create(params, options);
      usages.push(m.usage);
      return m;
    };
  });
  afterAll(() => fake.close());

  it("a wide tool round (25 new blocks, past the 20-block lookback) still reads all the previous request wrote", async () => {
    const calls = Array.from({ length: 12 }, (_, i) => `[[tool:calculator {"expression":"${i}+1"}]]`).join(
      " ",
    );
    const first: StoredMessage = {
      role: "user",
      content: [{ type: "text", text: `${"context ".repeat(200)} ${calls}` }],
    };
    const r = await run(create, { history: [first] });
    expect(usages).toHaveLength(2);
    const [a, b] = usages as [Anthropic.Usage, Anthropic.Usage];
    expect(a.cache_read_input_tokens).toBe(0);
    expect(b.cache_read_input_tokens).toBe(a.cache_creation_input_tokens); // every token the first wrote
    expect(b.cache_creation_input_tokens).toBeGreaterThan(0); // the 25 new blocks, for the next request

    // The next turn of the chat reads the whole conversation so far.
    usages.length = 0;
    await run(create, {
      history: [first, ...r.reply, { role: "user", content: [{ type: "text", text: "thanks" }] }],
    });
    const [c] = usages as [Anthropic.Usage];
    expect(c.cache_read_input_tokens).toBe(b.cache_read_input_tokens! + b.cache_creation_input_tokens!);
  });
});

describe("runAgent streamed: the same turn, with the answer seen as it arrives", () => {
  let fake: FakeAnthropic;
  let create: CreateMessage;
  let stream: StreamMessage;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0 });
    const client = new Anthropic({ baseURL: fake.url, apiKey: "test", maxRetries: 0 });
    create = (params, options) => client.messages.create(params, options);
    stream = sdkStreamMessage(client);
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    saved.length = 0;
  });

  /** Records what the observer is told, in order. */
  function recorder() {
    const events: string[] = [];
    const observer: AgentObserver = {
      text: (delta) => {
        const last = events.at(-1);
        if (last?.startsWith("text:")) events[events.length - 1] = last + delta;
        else events.push(`text:${delta}`);
      },
      toolStarted: (name) => events.push(`tool:${name}`),
      requestDone: ({ request, stopReason }) => events.push(`done:${request}:${stopReason}`),
    };
    return { events, observer };
  }
  // The fake numbers tool ids per request; the rest of a turn must match byte for byte.
  const normal = (r: unknown) => JSON.parse(JSON.stringify(r).replace(/(srv)?toolu_[a-z0-9]+_\d+/g, "ID"));
  const ask = (text: string, over: Partial<AgentInput> = {}) =>
    run(create, { history: [{ role: "user", content: [{ type: "text", text }] }], ...over });

  it.each([
    ["plain answer", "hello there", {}],
    ["a tool round", 'sum [[tool:calculator {"expression":"6*7"}]]', {}],
    ["two tools, two rounds", 'x [[tool:calculator {"expression":"2*3"}]] [[rounds:2]]', {}],
    ["the iteration bound", "count [[loop]]", { maxIterations: 3 }],
    ["pause_turn with searches", "news [[pause:2]]", { webSearchMaxUses: 3 }],
    ["a cut answer", "[[long:2000]]", { maxTokens: 50 }],
    ["a cut tool call", "remember milk [[stop:max_tokens]]", {}],
    ["a refusal", "bad [[stop:refusal]]", {}],
    ["an empty answer", "[[empty]]", {}],
  ] as const)("%s: outcome, reply, text and usage as without streaming", async (_name, text, over) => {
    const plain = await ask(text, over);
    fake.reset(); // the fake's cache: the second run must not read what the first wrote
    const { observer } = recorder();
    const streamed = await ask(text, { ...over, streamMessage: stream, observer });
    // Input tokens are the fake's estimate from the request's length, and tool ids grow a digit now and then.
    const comparable = ({
      lines: _lines,
      usage: { inputTokens, costUsd: _cost, ...usage },
      ...rest
    }: typeof plain) => ({
      turn: normal({ ...rest, usage }),
      inputTokens,
    });
    const a = comparable(plain);
    const b = comparable(streamed);
    expect(b.turn).toEqual(a.turn);
    expect(Math.abs(b.inputTokens - a.inputTokens)).toBeLessThanOrEqual(2);
    expect(fake.requests.filter((r) => r.body.stream === true)).toHaveLength(plain.iterations);
  });

  it("the observer sees text, tool calls and the end of every request, in order", async () => {
    const { events, observer } = recorder();
    const r = await ask('sum [[tool:calculator {"expression":"6*7"}]]', { streamMessage: stream, observer });
    expect(events).toEqual(["tool:calculator", "done:1:tool_use", "text:tool result: 42", "done:2:end_turn"]);
    expect(r.text).toBe("tool result: 42");
  });

  it("a server tool (web search) is seen while the request runs, before its answer text", async () => {
    const { events, observer } = recorder();
    await ask("tell me [[search:grammy]]", { webSearchMaxUses: 2, streamMessage: stream, observer });
    expect(events).toEqual([
      "tool:web_search",
      "text:According to the search, grammy is well documented.",
      "done:1:end_turn",
    ]);
  });

  it("without an observer (groups) nothing is streamed", async () => {
    await ask("hello", { streamMessage: stream });
    expect(fake.requests.map((r) => r.body.stream)).toEqual([undefined]);
  });

  it("an observer that throws is logged once and changes nothing", async () => {
    const throwing: AgentObserver = {
      text: () => {
        throw new Error("draft bug");
      },
      toolStarted: () => {},
      requestDone: () => {},
    };
    const r = await ask("[[long:300]]", { streamMessage: stream, observer: throwing });
    expect(r.outcome).toBe("answered");
    expect(r.lines.filter((l) => l.message?.startsWith("turn observer failed"))).toHaveLength(1);
  });

  it("a stream cut by an error event: AgentError, classified by the API's type, its input billed", async () => {
    const err = await ask("x [[stream-error]]", {
      streamMessage: stream,
      observer: recorder().observer,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).cause).toBeInstanceOf(StreamInterruptedError);
    expect(classifyModelError(err)).toBe("overloaded");
    expect((err as AgentError).usage.inputTokens).toBeGreaterThan(0);
    expect((err as AgentError).requests).toBe(1);
  });
});
