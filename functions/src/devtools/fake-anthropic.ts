import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Loopback Messages API for tests, the benchmark and the offline dev console. Replies are scripted by
 * directives in the user's text so runs are deterministic; the wire format (JSON, SSE, error bodies)
 * matches the real API closely enough for the official SDK.
 *
 * Directives: [[tool:NAME {json}]] (repeatable, parallel calls), [[loop]], [[fail:STATUS]],
 * [[fail-once:STATUS]], [[slow:MS]], [[drip:MS]] (pause between stream deltas), [[stream-error]]
 * (overloaded `error` event mid-stream), [[long:N]], [[markdown]]. Otherwise: "<label>echo: <text>".
 */

export interface FakeAnthropicRequest {
  // biome-ignore lint/suspicious/noExplicitAny: the raw request body as the client sent it.
  body: any;
  headers: Record<string, string>;
  at: number;
  /** HTTP status answered (0 while still pending). */
  status: number;
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
  /** Forgets requests, fail-once memory and prompt-cache state; ids keep counting. */
  reset(): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
type Block = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown };

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};
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
function validate(body: Json): string | null {
  if (typeof body.model !== "string" || body.model === "") return "model: Field required";
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) {
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
    const results = toolIds(messages[i + 1], "tool_result", "tool_use_id");
    const missing =
      m.role === "assistant" ? toolIds(m, "tool_use", "id").filter((id) => !results.includes(id)) : [];
    if (missing.length > 0) {
      return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  return null;
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
  opts: { port?: number; host?: string; delayMs?: number; label?: string; autoTools?: boolean } = {},
): Promise<FakeAnthropic> {
  const host = opts.host ?? "127.0.0.1";
  const requests: FakeAnthropicRequest[] = [];
  const failedOnce = new Set<string>();
  const cacheSeen = new Set<string>();
  const closing = new AbortController();
  // A run tag keeps ids unique across restarts, since histories may be persisted between runs.
  const tag = Date.now().toString(36);
  let seq = 0;

  const sendError = (res: ServerResponse, status: number, requestId: string, message?: string) => {
    const type = ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
    const headers: Record<string, string> = { "content-type": "application/json", "request-id": requestId };
    if (status === 429) headers["retry-after"] = "0";
    res.writeHead(status, headers);
    const error = { type, message: message ?? ERROR_MESSAGES[type] ?? `Fake error ${status}` };
    res.end(JSON.stringify({ type: "error", error, request_id: requestId }));
  };

  const script = (body: Json, text: string): { content: Block[]; stop: "end_turn" | "tool_use" } => {
    const label = fake.label;
    const toolUse = (name: string, input: unknown): Block => ({
      type: "tool_use",
      id: `toolu_${tag}_${++seq}`,
      name,
      input,
    });
    if (text.includes("[[loop]]"))
      return { content: [toolUse("calculator", { expression: "1+1" })], stop: "tool_use" };
    const messages = body.messages as Json[];
    const last = [...messages].reverse().find((m) => m.role === "user");
    const results = blocksOf(last?.content).filter((b) => b.type === "tool_result");
    if (results.length > 0) {
      const shown = results
        .map((b) => (typeof b.content === "string" ? b.content : textOf(b.content)))
        .join("\n");
      return { content: [{ type: "text", text: `${label}tool result: ${shown}` }], stop: "end_turn" };
    }
    const calls = [...text.matchAll(TOOL_RE)].map((m) => {
      let input: unknown = {};
      try {
        input = m[2] ? JSON.parse(m[2]) : {};
      } catch {
        // Malformed JSON in a hand-typed directive: call the tool with no arguments.
      }
      return toolUse(m[1]!, input);
    });
    if (calls.length > 0) return { content: calls, stop: "tool_use" };
    if (opts.autoTools) {
      const offered = new Set(((body.tools as Json[] | undefined) ?? []).map((t) => String(t.name)));
      const auto = autoToolCall(text, offered);
      if (auto) return { content: [toolUse(auto.name, auto.input)], stop: "tool_use" };
    }
    const long = /\[\[long:(\d+)\]\]/.exec(text);
    const reply = long
      ? longText(Number(long[1]))
      : text.includes("[[markdown]]")
        ? MARKDOWN
        : `echo: ${text}`;
    return { content: [{ type: "text", text: `${label}${reply}` }], stop: "end_turn" };
  };

  const usageFor = (body: Json, outputChars: number) => {
    const all = JSON.stringify([body.system ?? null, body.tools ?? null, body.messages]);
    const prefix = JSON.stringify([body.system ?? null, body.tools ?? null]);
    let creation = 0;
    let read = 0;
    // Prompt caching: first request with a cached prefix writes it, later identical prefixes read it.
    if (prefix.includes('"cache_control"')) {
      const size = Math.ceil(prefix.length / 4);
      if (cacheSeen.has(prefix)) read = size;
      else creation = size;
      cacheSeen.add(prefix);
    }
    return {
      input_tokens: Math.max(1, Math.ceil(all.length / 4) - creation - read),
      output_tokens: Math.max(1, Math.ceil(outputChars / 4)),
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
    const entry: FakeAnthropicRequest = { body: undefined, headers, at: Date.now(), status: 0 };
    requests.push(entry);
    const fail = (status: number, message?: string) => {
      entry.status = status;
      sendError(res, status, requestId, message);
    };
    try {
      entry.body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return fail(400, "There was an issue with the request body: invalid JSON");
    }
    const body = entry.body as Json;
    if (!headers["x-api-key"] && !headers.authorization) return fail(401, "x-api-key header is required");
    const invalid = validate(body);
    if (invalid) return fail(400, invalid);
    if (path.endsWith("count_tokens")) {
      entry.status = 200;
      res.writeHead(200, { "content-type": "application/json", "request-id": requestId });
      return res.end(JSON.stringify({ input_tokens: usageFor(body, 0).input_tokens }));
    }

    const text = userText(body.messages);
    const slow = Number(/\[\[slow:(\d+)\]\]/.exec(text)?.[1] ?? 0);
    if (fake.delayMs + slow > 0) await sleep(fake.delayMs + slow, undefined, { signal: closing.signal });
    const failAlways = /\[\[fail:(\d{3})\]\]/.exec(text);
    if (failAlways) return fail(Number(failAlways[1]));
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
      (n, b) => n + (b.type === "text" ? b.text.length : JSON.stringify(b.input).length + b.name.length),
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
      usage: usageFor(body, outputChars),
    };
    entry.status = 200;
    if (body.stream !== true) {
      res.writeHead(200, { "content-type": "application/json", "request-id": requestId });
      return res.end(JSON.stringify(message));
    }
    const drip = Number(/\[\[drip:(\d+)\]\]/.exec(text)?.[1] ?? 0);
    await writeStream(res, requestId, message, {
      drip,
      error: text.includes("[[stream-error]]"),
      signal: closing.signal,
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
    reset() {
      requests.length = 0;
      failedOnce.clear();
      cacheSeen.clear();
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
  message: { content: Block[]; stop_reason: string; usage: Record<string, number> } & Json,
  opts: { drip: number; error: boolean; signal: AbortSignal },
) {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "request-id": requestId,
  });
  const send = async (event: string, data: Json, pause = false) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
    if (pause && opts.drip > 0) await sleep(opts.drip, undefined, { signal: opts.signal });
  };
  const pieces = (s: string) => s.match(/[\s\S]{1,40}/g) ?? [""];
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
  if (opts.error) {
    await send("error", { error: { type: "overloaded_error", message: "Overloaded" } });
    return void res.end();
  }
  for (const [index, block] of content.entries()) {
    if (block.type === "text") {
      await send("content_block_start", { index, content_block: { type: "text", text: "" } });
      for (const text of pieces(block.text)) {
        await send("content_block_delta", { index, delta: { type: "text_delta", text } }, true);
      }
    } else {
      await send("content_block_start", { index, content_block: { ...block, input: {} } });
      for (const partial_json of pieces(JSON.stringify(block.input))) {
        await send("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } }, true);
      }
    }
    await send("content_block_stop", { index });
  }
  await send("message_delta", { delta: { stop_reason, stop_sequence: null }, usage });
  await send("message_stop", {});
  res.end();
}
