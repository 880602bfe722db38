import { createHash } from "node:crypto";
import { setMaxListeners } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Loopback Messages API for tests, the benchmark and the offline dev console. Replies are scripted by
 * directives in the user's text so runs are deterministic; the wire format (JSON, SSE, error bodies)
 * matches the real API closely enough for the official SDK.
 *
 * Directives: [[tool:NAME {json}]] (repeatable, parallel calls), [[rounds:N]] (with [[tool:…]]: ask
 * for the same calls for N rounds before answering), [[loop]], [[fail:STATUS]], [[fail-once:STATUS]],
 * [[error:TYPE]] / [[error:TYPE:STATUS]] / [[error:TYPE:STATUS:CODE]] (an error body with that
 * `error.type`, e.g. billing, invalid_request, authentication, not_found, rate_limit, overloaded,
 * and `error.details.error_code`), [[slow:MS]], [[drip:MS]] (pause between stream deltas; a
 * non-streamed answer takes as long as its stream would, as a real model's does),
 * [[stream-error]] (overloaded `error` event mid-stream), [[hold]] (streamed: after the first
 * text delta, nothing more until the client hangs up), [[hold:KEY]] (answers only after
 * release(KEY)), [[hold-end:KEY]] (streamed: the whole text, then no message_delta/message_stop
 * until release(KEY), so a test can watch drafts grow without racing the end), [[long:N]], [[markdown]],
 * [[stop:refusal]], [[stop:model_context_window_exceeded]], [[stop:max_tokens]] (cut inside a
 * tool_use block, after "Let me save that note:"), [[empty]] (end_turn with no content),
 * [[search:QUERY]] (a server-side web search: server_tool_use + web_search_tool_result + cited
 * text; needs the web_search tool offered), [[pause]] / [[pause:N]] (pause_turn N times, each
 * with a search, then the answer on the continuation). Otherwise: "<label>echo: <text>".
 * tool_choice {type: "none"} is honoured: no tool call whatever the directives say.
 *
 * Prompt caching: by default a request whose system/tools carry cache_control writes that
 * prefix once and reads it after. With `promptCaching` the fake simulates the real cache
 * (see simulateCache): prefix match at breakpoints, 20-block lookback, per-model minimum,
 * 5-minute TTL on an injectable clock, counted in the usage fields the API reports.
 */

export interface FakeAnthropicRequest {
  // biome-ignore lint/suspicious/noExplicitAny: the raw request body as the client sent it.
  body: any;
  headers: Record<string, string>;
  at: number;
  /** HTTP status answered (0 while still pending). */
  status: number;
  /** Streamed responses: content deltas written so far (each is "generated output"). */
  deltas: number;
  /** Streamed responses: the client hung up before message_stop, and the fake stopped generating. */
  hungUp: boolean;
}

export interface FakeAnthropic {
  /** Base URL for `new Anthropic({ baseURL })`, e.g. "http://127.0.0.1:8782". */
  readonly url: string;
  readonly port: number;
  readonly requests: FakeAnthropicRequest[];
  /** Fixed latency added before every answer (benchmarks). */
  delayMs: number;
  /** Prefix of every generated text, e.g. "[offline model] ". */
  label: string;
  /** Requests whose user text (see `userText`) includes `text`. */
  requestsContaining(text: string): FakeAnthropicRequest[];
  /** Lets requests held by [[hold:KEY]] answer (now, and any that arrive later). */
  release(key: string): void;
  /** Forgets requests, fail-once memory and prompt-cache state; ids keep counting. */
  reset(): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
type Block =
  | { type: "text"; text: string; citations?: Json[] }
  | { type: "tool_use" | "server_tool_use"; id: string; name: string; input: unknown }
  | { type: "web_search_tool_result"; tool_use_id: string; content: Json[] };

/** Options of the prompt-cache simulation. */
export interface FakeCacheOptions {
  /** Clock for the TTL, in ms (default Date.now): tests move it instead of waiting. */
  now?: () => number;
  /** Minimum cacheable prefix in tokens for a model (default MIN_CACHEABLE_TOKENS, else 1,024). */
  minTokens?: (model: string) => number;
}

/**
 * Minimum cacheable prefix per model, as the prompt caching docs and our measurements
 * give them: 2,048 for Sonnet 4.6 (TOOLCHAIN.md; the docs once said 1,024, and 2,048 is
 * what the API does); 4,096 for Opus 4.5/4.6 and Haiku 4.5; 2,048 for Opus 4.7 (one
 * source only); 1,024 for the 4.0/4.1/4.5 Sonnets and Opus 4/4.1. Below it nothing is
 * cached, silently.
 */
export const MIN_CACHEABLE_TOKENS: Record<string, number> = {
  "claude-sonnet-4-6": 2048,
  "claude-opus-4-7": 2048,
  "claude-opus-4-6": 4096,
  "claude-opus-4-5": 4096,
  "claude-haiku-4-5": 4096,
  "claude-sonnet-4-5": 1024,
  "claude-sonnet-4-0": 1024,
  "claude-opus-4-1": 1024,
  "claude-opus-4-0": 1024,
};
/** The cache lookback from a breakpoint: it and the 19 block boundaries before it. */
export const CACHE_LOOKBACK_BLOCKS = 20;
export const MAX_CACHE_BREAKPOINTS = 4;

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};
/** The status the API answers each error type with ([[error:TYPE]] without a status). */
const STATUS_OF_TYPE: Record<string, number> = Object.fromEntries(
  Object.entries(ERROR_TYPES).map(([status, type]) => [type, Number(status)]),
);
const ERROR_MESSAGES: Record<string, string> = {
  overloaded_error: "Overloaded",
  rate_limit_error: "Number of requests has exceeded your rate limit",
  api_error: "Internal server error",
};

const blocksOf = (content: unknown): Json[] =>
  typeof content === "string" ? [{ type: "text", text: content }] : Array.isArray(content) ? content : [];
const textOf = (content: unknown): string =>
  blocksOf(content)
    .filter((b) => b.type === "text" && typeof b.text === "string")
    .map((b) => b.text as string)
    .join("\n");

/**
 * The text that drives the script: text blocks of the last user message that has any. Skipping
 * tool_result-only turns keeps the original prompt's directives in force during a tool round trip.
 */
export function userText(messages: unknown): string {
  if (!Array.isArray(messages)) return "";
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as Json | undefined;
    if (m?.role !== "user") continue;
    if (blocksOf(m.content).some((b) => b.type === "text")) return textOf(m.content);
  }
  return "";
}

/** Mirrors the API's own checks that catch real agent bugs (broken tool_use/tool_result pairing). */
function validate(body: Json, countOnly = false): string | null {
  if (typeof body.model !== "string" || body.model === "") return "model: Field required";
  if (!countOnly && (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1)) {
    return "max_tokens: Input should be a valid positive integer";
  }
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return "messages: at least one message is required";
  const toolIds = (m: Json | undefined, type: string, key: string) =>
    blocksOf(m?.content)
      .filter((b) => b.type === type)
      .map((b) => String(b[key]));
  for (const [i, m] of (messages as Json[]).entries()) {
    if (m.role !== "user" && m.role !== "assistant")
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const blocks = blocksOf(m.content);
    const isFinalAssistant = i === messages.length - 1 && m.role === "assistant";
    if (blocks.length === 0 && !isFinalAssistant) {
      return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
    }
    for (const [j, b] of blocks.entries()) {
      if (b.type === "text" && typeof b.text === "string" && b.text.trim() === "" && !isFinalAssistant) {
        return `messages.${i}.content.${j}.text: text content blocks must ${b.text === "" ? "be non-empty" : "contain non-whitespace text"}`;
      }
      if (
        b.type === "tool_result" &&
        !toolIds(messages[i - 1], "tool_use", "id").includes(String(b.tool_use_id))
      ) {
        return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
    if (m.role === "assistant") {
      const answered = toolIds(m, "web_search_tool_result", "tool_use_id");
      const unpaired = toolIds(m, "server_tool_use", "id").filter((id) => !answered.includes(id));
      if (unpaired.length > 0) {
        return `messages.${i}: \`server_tool_use\` ids were found without a result block in the same message: ${unpaired.join(", ")}`;
      }
    }
    const results = toolIds(messages[i + 1], "tool_result", "tool_use_id");
    const missing =
      m.role === "assistant" ? toolIds(m, "tool_use", "id").filter((id) => !results.includes(id)) : [];
    if (missing.length > 0) {
      return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  const marks = cacheBreakpointCount(body);
  if (marks > MAX_CACHE_BREAKPOINTS) {
    return `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${marks}.`;
  }
  return null;
}

const hasMark = (b: unknown) => typeof b === "object" && b !== null && !!(b as Json).cache_control;
function cacheBreakpointCount(body: Json): number {
  let n = hasMark(body) ? 1 : 0;
  for (const t of (body.tools as Json[] | undefined) ?? []) if (hasMark(t)) n++;
  if (Array.isArray(body.system)) for (const b of body.system) if (hasMark(b)) n++;
  for (const m of (body.messages as Json[]) ?? []) for (const b of blocksOf(m.content)) if (hasMark(b)) n++;
  return n;
}

interface Scripted {
  content: Block[];
  stop: "end_turn" | "tool_use" | "pause_turn" | "refusal" | "model_context_window_exceeded" | "max_tokens";
  /** Server-side web searches made (usage.server_tool_use.web_search_requests). */
  searches?: number;
}

/** One block of the rendered prompt, in cache order: tools, then system, then messages. */
interface RenderedBlock {
  /** Hash of the prefix ending with this block (model and, for messages, tool_choice included). */
  prefix: string;
  tokens: number;
  /** TTL in ms when this block carries a breakpoint, else null. */
  breakpoint: number | null;
}

const TTL_MS = { "5m": 5 * 60_000, "1h": 60 * 60_000 } as const;
const ttlOf = (mark: unknown): number => ((mark as Json).ttl === "1h" ? TTL_MS["1h"] : TTL_MS["5m"]);

/**
 * The prompt as the cache sees it: a chain of block hashes, so two requests share a
 * prefix exactly when their blocks match up to that point. cache_control is not part of
 * a block's identity (a breakpoint can move); message roles and boundaries are. The
 * model opens the chain (caches are per model) and tool_choice opens the message part
 * (changing it invalidates cached messages, not tools or system, as the docs' "what
 * invalidates the cache" table says). Tokens are estimated as characters / 4.
 */
export function renderBlocks(body: Json): RenderedBlock[] {
  const out: RenderedBlock[] = [];
  let hash = createHash("sha256").update(String(body.model)).digest("hex");
  const push = (identity: unknown, mark: unknown) => {
    const { cache_control: _, ...rest } = identity as Json;
    const json = JSON.stringify(rest);
    hash = createHash("sha256").update(hash).update(json).digest("hex");
    out.push({ prefix: hash, tokens: Math.ceil(json.length / 4), breakpoint: mark ? ttlOf(mark) : null });
  };
  for (const t of (body.tools as Json[] | undefined) ?? []) push({ tool: t, ...t }, t.cache_control);
  const system =
    typeof body.system === "string" ? [{ type: "text", text: body.system }] : ((body.system as Json[]) ?? []);
  for (const b of system) push({ system: true, ...b }, b.cache_control);
  hash = createHash("sha256")
    .update(hash)
    .update(JSON.stringify(body.tool_choice ?? null))
    .digest("hex");
  for (const m of (body.messages as Json[]) ?? []) {
    for (const [i, b] of blocksOf(m.content).entries())
      push({ role: m.role, first: i === 0, ...b }, b.cache_control);
  }
  // Automatic caching: a top-level cache_control marks the last block.
  if (body.cache_control && out.length > 0) out.at(-1)!.breakpoint ??= ttlOf(body.cache_control);
  return out;
}

/**
 * Prompt caching as the API describes it (platform.claude.com/docs/en/build-with-claude/prompt-caching):
 * - each breakpoint reads the longest cached prefix ending at it or at one of the
 *   CACHE_LOOKBACK_BLOCKS - 1 blocks before it; the longest read over all breakpoints wins;
 * - each breakpoint whose prefix has at least the model's minimum tokens is written
 *   (or refreshed) with its TTL, 5 minutes unless `ttl: "1h"`; reading refreshes too;
 * - usage: cache_read_input_tokens = the prefix read, cache_creation_input_tokens = from
 *   there to the last breakpoint written, input_tokens = the rest after it.
 */
export function simulateCache(options: FakeCacheOptions = {}) {
  const now = options.now ?? Date.now;
  const minTokens = options.minTokens ?? ((model: string) => MIN_CACHEABLE_TOKENS[model] ?? 1024);
  const entries = new Map<string, { expiresAt: number; ttl: number }>();
  const live = (prefix: string) => {
    const e = entries.get(prefix);
    return e && e.expiresAt > now() ? e : undefined;
  };
  return {
    clear: () => entries.clear(),
    size: () => entries.size,
    usage(body: Json) {
      const blocks = renderBlocks(body);
      const upTo: number[] = [];
      blocks.reduce((n, b, i) => (upTo[i] = n + b.tokens), 0);
      const tokensTo = (i: number) => (i < 0 ? 0 : upTo[i]!);
      const breakpoints = blocks.flatMap((b, i) => (b.breakpoint === null ? [] : [i]));
      let read = -1;
      for (const bp of breakpoints) {
        for (let j = bp; j >= 0 && j > bp - CACHE_LOOKBACK_BLOCKS; j--) {
          if (live(blocks[j]!.prefix)) {
            read = Math.max(read, j);
            break;
          }
        }
      }
      if (read >= 0) {
        const e = live(blocks[read]!.prefix)!;
        e.expiresAt = now() + e.ttl;
      }
      let written = read;
      const min = minTokens(String(body.model));
      for (const bp of breakpoints) {
        if (tokensTo(bp) < min) continue;
        const ttl = blocks[bp]!.breakpoint!;
        entries.set(blocks[bp]!.prefix, { expiresAt: now() + ttl, ttl });
        written = Math.max(written, bp);
      }
      const creation = tokensTo(written) - tokensTo(read);
      return {
        input_tokens: tokensTo(blocks.length - 1) - tokensTo(written),
        cache_read_input_tokens: tokensTo(read),
        cache_creation_input_tokens: creation,
        cache_creation: { ephemeral_5m_input_tokens: creation, ephemeral_1h_input_tokens: 0 },
      };
    },
  };
}

const WORDS =
  "the quick brown fox jumps over a lazy dog while seven wizards quietly box jovial zebras near misty harbours".split(
    " ",
  );

/** Deterministic prose of at most n characters: lines of ~70 chars, a blank line every 5 lines. */
export function longText(n: number): string {
  let out = "";
  let lineLen = 0;
  let lines = 0;
  for (let i = 0; ; i++) {
    const word = WORDS[i % WORDS.length]!;
    let sep = out === "" ? "" : " ";
    if (lineLen > 70) sep = ++lines % 5 === 0 ? "\n\n" : "\n";
    if (out.length + sep.length + word.length > n) return out;
    out += sep + word;
    lineLen = sep.startsWith("\n") || sep === "" ? word.length : lineLen + 1 + word.length;
  }
}

const MARKDOWN = [
  "Here is **bold** text, some `inline code` and a comparison: 1 < 2 && 3 > 2.",
  "",
  "```ts",
  "const answer: number = 42;",
  "if (answer > 1 && answer < 100) console.log('<' + answer + '>');",
  "```",
  "",
  "See [the docs](https://example.com) for more.",
].join("\n");

const TOOL_RE = /\[\[tool:([A-Za-z0-9_-]+)(?:\s+(\{[\s\S]*?\}))?\]\]/g;

/**
 * The offline stand-in's "judgement" in autoTools mode, so a newcomer sees the tool
 * loop without knowing the directives: arithmetic goes to the calculator, a time
 * question to current_time. Only when the request offers that tool.
 */
function autoToolCall(text: string, offered: ReadonlySet<string>): { name: string; input: unknown } | null {
  const arithmetic = /\(?\s*-?\d+(?:\.\d+)?(?:\s*[-+*/^%]\s*\(?\s*-?\d+(?:\.\d+)?\s*\)?)+/.exec(text);
  if (arithmetic && offered.has("calculator"))
    return { name: "calculator", input: { expression: arithmetic[0].trim() } };
  if (
    /\b(what time|time is it|what'?s the time|today'?s date|what day)\b/i.test(text) &&
    offered.has("current_time")
  ) {
    return { name: "current_time", input: { timezone: "UTC" } };
  }
  return null;
}

export async function startFakeAnthropic(
  opts: {
    port?: number;
    host?: string;
    delayMs?: number;
    label?: string;
    autoTools?: boolean;
    /** Simulate prompt caching as the API does (see simulateCache). */
    promptCaching?: boolean | FakeCacheOptions;
  } = {},
): Promise<FakeAnthropic> {
  const host = opts.host ?? "127.0.0.1";
  const requests: FakeAnthropicRequest[] = [];
  const holds = new Map<string, { promise: Promise<void>; release: () => void }>();
  const held = (key: string) => {
    let gate = holds.get(key);
    if (!gate) {
      let release = () => {};
      const promise = new Promise<void>((r) => {
        release = r;
      });
      gate = { promise, release };
      holds.set(key, gate);
    }
    return gate;
  };
  const failedOnce = new Set<string>();
  const cacheSeen = new Set<string>();
  const promptCache = opts.promptCaching
    ? simulateCache(opts.promptCaching === true ? {} : opts.promptCaching)
    : null;
  const closing = new AbortController();
  // Every request in flight listens for the fake closing; benchmarks keep many in flight.
  setMaxListeners(0, closing.signal);
  // A run tag keeps ids unique across restarts, since histories may be persisted between runs.
  const tag = Date.now().toString(36);
  let seq = 0;

  const sendError = (
    res: ServerResponse,
    status: number,
    requestId: string,
    message?: string,
    typed?: { type: string; code?: string },
  ) => {
    const type =
      typed?.type ?? ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
    const headers: Record<string, string> = { "content-type": "application/json", "request-id": requestId };
    if (status === 429) headers["retry-after"] = "0";
    res.writeHead(status, headers);
    const error = {
      type,
      message: message ?? ERROR_MESSAGES[type] ?? `Fake error ${status}`,
      ...(typed?.code ? { details: { error_code: typed.code } } : {}),
    };
    res.end(JSON.stringify({ type: "error", error, request_id: requestId }));
  };

  const script = (body: Json, text: string): Scripted => {
    const label = fake.label;
    const messages = body.messages as Json[];
    const offered = new Set(((body.tools as Json[] | undefined) ?? []).map((t) => String(t.name)));
    const noTools = (body.tool_choice as Json | undefined)?.type === "none";
    const toolUse = (name: string, input: unknown): Block => ({
      type: "tool_use",
      id: `toolu_${tag}_${++seq}`,
      name,
      input,
    });
    const answer = (reply: string): Scripted => ({
      content: [{ type: "text", text: `${label}${reply}` }],
      stop: "end_turn",
    });
    // Directives that end the turn at once, whatever came before.
    const stop = /\[\[stop:(refusal|model_context_window_exceeded|max_tokens)\]\]/.exec(text)?.[1];
    if (stop === "refusal") return { content: [{ type: "text", text: "I can't" }], stop };
    if (stop === "model_context_window_exceeded") {
      return { content: [{ type: "text", text: `${label}The answer began, and` }], stop };
    }
    if (stop === "max_tokens" && !noTools) {
      // Cut inside a tool_use block: its input never finished.
      return { content: [{ type: "text", text: "Let me save that note:" }, toolUse("notes", {})], stop };
    }
    if (text.includes("[[empty]]")) return { content: [], stop: "end_turn" };

    // A paused turn comes back with the paused assistant content last: continue it.
    const last = messages.at(-1);
    const continuing = last?.role === "assistant";
    const pauses = Number(/\[\[pause(?::(\d+))?\]\]/.exec(text)?.[1] ?? (text.includes("[[pause") ? 1 : 0));
    const searchQuery = /\[\[search:([^\]]*)\]\]/.exec(text)?.[1];
    // Like the API, no search unless the request offers the web_search tool.
    if ((pauses > 0 || searchQuery !== undefined) && offered.has("web_search")) {
      const paused = continuing
        ? blocksOf(last.content).filter((b) => b.type === "server_tool_use").length
        : 0;
      const query = (searchQuery ?? text.replace(/\[\[[^\]]*\]\]/g, "")).trim() || "query";
      if (!noTools && paused < pauses) return { content: search(query), stop: "pause_turn", searches: 1 };
      if (continuing || noTools) return { content: citedAnswer(query, label), stop: "end_turn" };
      return { content: [...search(query), ...citedAnswer(query, label)], stop: "end_turn", searches: 1 };
    }

    // Tool rounds so far in this turn: user messages of tool results after the prompt.
    let rounds = 0;
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i]!;
      if (m.role !== "user") continue;
      if (blocksOf(m.content).some((b) => b.type === "text")) break;
      rounds++;
    }
    const results = blocksOf([...messages].reverse().find((m) => m.role === "user")?.content).filter(
      (b) => b.type === "tool_result",
    );
    const shown = results
      .map((b) => (typeof b.content === "string" ? b.content : textOf(b.content)))
      .join("\n");
    if (!noTools && text.includes("[[loop]]")) {
      return { content: [toolUse("calculator", { expression: "1+1" })], stop: "tool_use" };
    }
    const wanted = Number(/\[\[rounds:(\d+)\]\]/.exec(text)?.[1] ?? 1);
    const calls =
      noTools || rounds >= wanted
        ? []
        : [...text.matchAll(TOOL_RE)].map((m) => {
            let input: unknown = {};
            try {
              input = m[2] ? JSON.parse(m[2]) : {};
            } catch {
              // Malformed JSON in a hand-typed directive: call the tool with no arguments.
            }
            return toolUse(m[1]!, input);
          });
    if (calls.length > 0) return { content: calls, stop: "tool_use" };
    if (results.length > 0) return answer(`tool result: ${shown}`);
    if (opts.autoTools && !noTools) {
      const auto = autoToolCall(text, offered);
      if (auto) return { content: [toolUse(auto.name, auto.input)], stop: "tool_use" };
    }
    const long = /\[\[long:(\d+)\]\]/.exec(text);
    return answer(
      long ? longText(Number(long[1])) : text.includes("[[markdown]]") ? MARKDOWN : `echo: ${text}`,
    );
  };

  /** A server-side web search as the API returns it: the call and its result, in one message. */
  const search = (query: string): Block[] => {
    const id = `srvtoolu_${tag}_${++seq}`;
    return [
      { type: "server_tool_use", id, name: "web_search", input: { query } },
      {
        type: "web_search_tool_result",
        tool_use_id: id,
        content: [
          {
            type: "web_search_result",
            url: `https://example.com/search/${encodeURIComponent(query)}`,
            title: `Result for ${query}`,
            encrypted_content: Buffer.from(`page about ${query}`).toString("base64"),
            page_age: "April 1, 2026",
          },
        ],
      },
    ];
  };
  /** A cited answer as the API splits it: plain text, then the cited sentence carrying its citation. */
  const citedAnswer = (query: string, label: string): Block[] => [
    { type: "text", text: `${label}According to the search, ` },
    {
      type: "text",
      text: `${query} is well documented.`,
      citations: [
        {
          type: "web_search_result_location",
          url: `https://example.com/search/${encodeURIComponent(query)}`,
          title: `Result for ${query}`,
          encrypted_index: Buffer.from(query).toString("base64"),
          cited_text: `page about ${query}`,
        },
      ],
    },
  ];

  const usageFor = (body: Json, outputChars: number, searches: number) => {
    const u = promptCache ? promptCache.usage(body) : simpleCacheUsage(body);
    return {
      ...u,
      output_tokens: Math.max(1, Math.ceil(outputChars / 4)),
      ...(searches > 0 ? { server_tool_use: { web_search_requests: searches, web_fetch_requests: 0 } } : {}),
    };
  };
  const simpleCacheUsage = (body: Json) => {
    const all = JSON.stringify([body.system ?? null, body.tools ?? null, body.messages]);
    const prefix = JSON.stringify([body.system ?? null, body.tools ?? null]);
    let creation = 0;
    let read = 0;
    // First request with a cached system/tools prefix writes it, later identical prefixes read it.
    if (prefix.includes('"cache_control"')) {
      const size = Math.ceil(prefix.length / 4);
      if (cacheSeen.has(prefix)) read = size;
      else creation = size;
      cacheSeen.add(prefix);
    }
    return {
      input_tokens: Math.max(1, Math.ceil(all.length / 4) - creation - read),
      cache_creation_input_tokens: creation,
      cache_read_input_tokens: read,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = `req_${tag}_${++seq}`;
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method !== "POST" || (path !== "/v1/messages" && path !== "/v1/messages/count_tokens")) {
      return sendError(res, 404, requestId, "Not found");
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
    );
    const entry: FakeAnthropicRequest = {
      body: undefined,
      headers,
      at: Date.now(),
      status: 0,
      deltas: 0,
      hungUp: false,
    };
    requests.push(entry);
    const fail = (status: number, message?: string, typed?: { type: string; code?: string }) => {
      entry.status = status;
      sendError(res, status, requestId, message, typed);
    };
    try {
      entry.body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return fail(400, "There was an issue with the request body: invalid JSON");
    }
    const body = entry.body as Json;
    if (!headers["x-api-key"] && !headers.authorization) return fail(401, "x-api-key header is required");
    const invalid = validate(body, path.endsWith("count_tokens"));
    if (invalid) return fail(400, invalid);
    if (path.endsWith("count_tokens")) {
      entry.status = 200;
      res.writeHead(200, { "content-type": "application/json", "request-id": requestId });
      return res.end(JSON.stringify({ input_tokens: renderBlocks(body).reduce((n, b) => n + b.tokens, 0) }));
    }

    const text = userText(body.messages);
    // [[hold:KEY]]: a model that works until the test says it is done (no timing involved).
    const hold = /\[\[hold:([\w-]+)\]\]/.exec(text)?.[1];
    if (hold)
      await Promise.race([
        held(hold).promise,
        new Promise((r) => closing.signal.addEventListener("abort", r)),
      ]);
    const slow = Number(/\[\[slow:(\d+)\]\]/.exec(text)?.[1] ?? 0);
    if (fake.delayMs + slow > 0) await sleep(fake.delayMs + slow, undefined, { signal: closing.signal });
    const failAlways = /\[\[fail:(\d{3})\]\]/.exec(text);
    if (failAlways) return fail(Number(failAlways[1]));
    const typedError = /\[\[error:([a-z_]+)(?::(\d{3}))?(?::([a-z_]+))?\]\]/.exec(text);
    if (typedError) {
      const type =
        typedError[1]!.endsWith("_error") || typedError[1] === "request_too_large"
          ? typedError[1]!
          : `${typedError[1]}_error`;
      return fail(Number(typedError[2] ?? STATUS_OF_TYPE[type] ?? 400), undefined, {
        type,
        code: typedError[3],
      });
    }
    const failOnce = /\[\[fail-once:(\d{3})\]\]/.exec(text);
    if (failOnce && !failedOnce.has(text)) {
      failedOnce.add(text);
      return fail(Number(failOnce[1]));
    }

    const scripted = script(body, text);
    let content = scripted.content;
    let stop: string = scripted.stop;
    // Honour max_tokens like the model would: cut the text and report why.
    const budget = (body.max_tokens as number) * 4;
    const first = content[0];
    if (first?.type === "text" && first.text.length > budget) {
      content = [{ type: "text", text: first.text.slice(0, budget) }];
      stop = "max_tokens";
    }
    const outputChars = content.reduce(
      (n, b) =>
        n +
        (b.type === "text"
          ? b.text.length
          : b.type === "web_search_tool_result"
            ? 0 // results are input for the next step, not generated text
            : JSON.stringify(b.input).length + b.name.length),
      0,
    );
    const message = {
      id: `msg_${tag}_${++seq}`,
      type: "message",
      role: "assistant",
      model: body.model,
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage: usageFor(body, outputChars, scripted.searches ?? 0),
    };
    entry.status = 200;
    const drip = Number(/\[\[drip:(\d+)\]\]/.exec(text)?.[1] ?? 0);
    if (body.stream !== true) {
      // The whole answer is generated before it is returned.
      if (drip > 0) await sleep(drip * deltaCount(content), undefined, { signal: closing.signal });
      res.writeHead(200, { "content-type": "application/json", "request-id": requestId });
      return res.end(JSON.stringify(message));
    }
    const holdEnd = /\[\[hold-end:([\w-]+)\]\]/.exec(text)?.[1];
    await writeStream(res, requestId, message, {
      drip,
      hold: text.includes("[[hold]]"),
      ...(holdEnd ? { holdEnd: held(holdEnd).promise } : {}),
      error: text.includes("[[stream-error]]"),
      signal: closing.signal,
      entry,
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (closing.signal.aborted) return void res.destroy();
      if (!res.headersSent) sendError(res, 500, "req_internal", `Fake server error: ${String(error)}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const fake: FakeAnthropic = {
    url: `http://${host}:${port}`,
    port,
    requests,
    delayMs: opts.delayMs ?? 0,
    label: opts.label ?? "",
    requestsContaining: (text) => requests.filter((r) => userText(r.body?.messages).includes(text)),
    release: (key) => held(key).release(),
    reset() {
      requests.length = 0;
      failedOnce.clear();
      cacheSeen.clear();
      promptCache?.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        // SDK keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
  return fake;
}

/** SSE in the real event order: message_start, ping, per block start/deltas/stop, message_delta, message_stop. */
async function writeStream(
  res: ServerResponse,
  requestId: string,
  message: { content: Block[]; stop_reason: string; usage: Json } & Json,
  opts: {
    drip: number;
    hold: boolean;
    holdEnd?: Promise<void>;
    error: boolean;
    signal: AbortSignal;
    entry: FakeAnthropicRequest;
  },
) {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "request-id": requestId,
  });
  // Like the API, generation stops when the client goes away (an aborted stream is not billed further).
  const gone = new AbortController();
  res.once("close", () => {
    if (!res.writableEnded) {
      opts.entry.hungUp = true;
      gone.abort();
    }
  });
  const stopped = AbortSignal.any([opts.signal, gone.signal]);
  const send = async (event: string, data: Json, pause = false) => {
    if (stopped.aborted) throw new StreamGone();
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
    if (event === "content_block_delta") opts.entry.deltas++;
    if (pause && opts.hold) {
      await new Promise((resolve) => stopped.addEventListener("abort", resolve, { once: true }));
      throw new StreamGone();
    }
    if (pause && opts.drip > 0) {
      await sleep(opts.drip, undefined, { signal: stopped }).catch(() => {
        throw new StreamGone();
      });
    }
  };
  const beforeEnd = async () => {
    if (!opts.holdEnd) return;
    await Promise.race([
      opts.holdEnd,
      new Promise((resolve) => stopped.addEventListener("abort", resolve, { once: true })),
    ]);
    if (stopped.aborted) throw new StreamGone();
  };
  try {
    await streamEvents(res, message, opts.error, send, beforeEnd);
  } catch (err) {
    if (!(err instanceof StreamGone)) throw err;
    res.destroy();
  }
}

/** Streamed text and tool input arrive in pieces of up to 40 characters (about 10 tokens). */
const pieces = (s: string) => s.match(/[\s\S]{1,40}/g) ?? [""];

/** How many deltas (each followed by a drip pause) the stream of this content has. */
function deltaCount(content: Block[]): number {
  let n = 0;
  for (const b of content) {
    if (b.type === "text") n += pieces(b.text).length;
    else if (b.type !== "web_search_tool_result") n += pieces(JSON.stringify(b.input)).length;
  }
  return n;
}

/** The client went away (or the fake is closing) in the middle of a stream. */
class StreamGone extends Error {}

async function streamEvents(
  res: ServerResponse,
  message: { content: Block[]; stop_reason: string; usage: Json } & Json,
  error: boolean,
  send: (event: string, data: Json, pause?: boolean) => Promise<void>,
  beforeEnd: () => Promise<void>,
) {
  const { content, stop_reason, usage } = message;
  await send("message_start", {
    message: {
      ...message,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  await send("ping", {});
  if (error) {
    await send("error", { error: { type: "overloaded_error", message: "Overloaded" } });
    return void res.end();
  }
  for (const [index, block] of content.entries()) {
    if (block.type === "text") {
      await send("content_block_start", { index, content_block: { type: "text", text: "" } });
      for (const citation of block.citations ?? []) {
        await send("content_block_delta", { index, delta: { type: "citations_delta", citation } });
      }
      for (const text of pieces(block.text)) {
        await send("content_block_delta", { index, delta: { type: "text_delta", text } }, true);
      }
    } else if (block.type === "web_search_tool_result") {
      // Server tool results arrive whole in their start event.
      await send("content_block_start", { index, content_block: block });
    } else {
      await send("content_block_start", { index, content_block: { ...block, input: {} } });
      for (const partial_json of pieces(JSON.stringify(block.input))) {
        await send("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } }, true);
      }
    }
    await send("content_block_stop", { index });
  }
  await beforeEnd();
  await send("message_delta", { delta: { stop_reason, stop_sequence: null }, usage });
  await send("message_stop", {});
  res.end();
}
