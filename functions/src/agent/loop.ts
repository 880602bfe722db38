import type Anthropic from "@anthropic-ai/sdk";
import { z } from "zod";
import { t } from "../i18n/catalogue.js";
import type { Locale } from "../i18n/locale.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { replyText, sanitizeReply } from "../state/history.js";
import type { Block, Skill, StoredMessage } from "../state/schemas.js";
import { AgentError, type AgentUsage, emptyUsage, StreamInterruptedError } from "./agent-error.js";
import { placeCacheBreakpoints, previousRequestEnd } from "./cache-breakpoints.js";
import { priceUsage } from "./pricing.js";
import type { AgentTool, ToolContext } from "./tools/tool.js";
import { ToolInputError } from "./tools/tool.js";

export { AgentError, type AgentUsage, StreamInterruptedError } from "./agent-error.js";

/** The one call the loop needs from Anthropic: a port, so tests and benches can swap the edge. */
export type CreateMessage = (
  params: Anthropic.MessageCreateParamsNonStreaming,
  options?: { signal?: AbortSignal },
) => Promise<Anthropic.Message>;

/** What a streamed model request reports while the answer arrives (see agent/model-stream.ts). */
export interface ModelStreamEvents {
  /** A piece of answer text, in order (a text_delta). */
  text(delta: string): void;
  /**
   * The model began a tool call: a client tool the loop runs after the request, or a
   * server tool (web_search) that runs inside the request, which only the stream reveals.
   */
  toolStarted(name: string): void;
}

/**
 * The streaming variant of CreateMessage: the same request and the same final Message,
 * with events on the way. The signal aborts the HTTP stream (generation, and billing,
 * stop). A failure after the response began is a StreamInterruptedError carrying what
 * the API had reported as billed by then.
 */
export type StreamMessage = (
  params: Anthropic.MessageCreateParamsNonStreaming,
  options: { signal?: AbortSignal; events: ModelStreamEvents },
) => Promise<Anthropic.Message>;

/** Someone watching a turn as it runs (the draft streamer): the stream's events plus each request's end. */
export interface AgentObserver extends ModelStreamEvents {
  /** A model request ended with this stop reason; tool results (if any) follow before the next one. */
  requestDone(info: { request: number; stopReason: Anthropic.StopReason | null }): void;
}

export interface AgentInput {
  history: StoredMessage[];
  skill: Readonly<Skill>;
  tools: readonly AgentTool[];
  model: string;
  maxTokens: number;
  /**
   * Model requests per turn (tool rounds and pause_turn continuations each take one); the
   * last one allowed may not call tools, so it answers from every result gathered. At least
   * two requests are made when the first asks for tools.
   */
  maxIterations: number;
  /**
   * Anthropic's server-side web search: at most this many searches per request;
   * 0 or absent = off. The caller enables it per skill.
   */
  webSearchMaxUses?: number;
  toolContext: ToolContext;
  /** The user's language, for the notices the loop adds to (or puts in place of) the answer. */
  locale: Locale;
  createMessage: CreateMessage;
  /**
   * With `observer`, every request is streamed through this port and the observer sees
   * the answer as it arrives (private chats show it in a draft). Without either, requests
   * go through createMessage (groups, tests, benches); the loop behaves the same both ways.
   */
  streamMessage?: StreamMessage;
  /** Told about text, tool calls and request ends; its failures never reach the turn. */
  observer?: AgentObserver;
  metrics: Metrics;
  log: Logger;
  signal?: AbortSignal;
}

/**
 * How a turn ended.
 * - answered: the model finished (end_turn / stop_sequence).
 * - cut: max_tokens cut the answer; the text says so and how to continue.
 * - iteration_limit: the tool bound was reached; a final request without tools answered.
 * - refused: stop_reason "refusal".
 * - context_exceeded: stop_reason "model_context_window_exceeded".
 */
export type AgentOutcome = "answered" | "cut" | "iteration_limit" | "refused" | "context_exceeded";

export interface AgentResult {
  outcome: AgentOutcome;
  /**
   * false (refused, context_exceeded): do not store this turn as a normal turn. Store it
   * with status "dropped" (history.DROPPED_STATUS) and no reply, so its prompt is never
   * sent to the model again; `reply` is then empty. true: store `reply` as usual.
   */
  keep: boolean;
  /** Assistant/tool messages to store on the turn (always valid to send back later). */
  reply: StoredMessage[];
  /** What the user sees: replyText(reply) when kept, else the outcome's message. Never empty. */
  text: string;
  /** stop_reason of the turn's last response, for the turn log line. */
  stopReason: Anthropic.StopReason | null;
  usage: AgentUsage;
  /** Model requests made. */
  iterations: number;
  hitIterationLimit: boolean;
  model: string;
}

/**
 * The server-side web search tool. web_search_20250305 is the basic search, offered by
 * every model we use (Haiku 4.5 included); the later versions (20260209, 20260318) add
 * dynamic filtering, which runs code execution in Anthropic's sandbox, needs a 4.6+
 * model and is not ZDR-eligible (platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool).
 */
export const WEB_SEARCH_TOOL_TYPE = "web_search_20250305";

// Tool definitions depend only on the tool set: built once per set, byte-identical from
// request to request, since they open the prompt-cache prefix.
const definitions = new Map<string, Anthropic.ToolUnion[]>();
function toolDefinitions(tools: readonly AgentTool[], webSearchMaxUses: number): Anthropic.ToolUnion[] {
  const key = `${tools.map((t) => t.name).join(",")}|web_search:${webSearchMaxUses}`;
  let defs = definitions.get(key);
  if (!defs) {
    defs = tools.map((t) => ({
      name: t.name,
      description: t.description,
      input_schema: z.toJSONSchema(t.input, { io: "input" }) as Anthropic.Tool.InputSchema,
    }));
    if (webSearchMaxUses > 0) {
      defs.push({ type: WEB_SEARCH_TOOL_TYPE, name: "web_search", max_uses: webSearchMaxUses });
    }
    definitions.set(key, defs);
  }
  return defs;
}

// The system prompt is the same array for a given prompt: no per-request text (the time
// belongs in the user turn), so tools + system stay one cacheable prefix.
const systems = new Map<string, Anthropic.TextBlockParam[]>();
function systemBlocks(prompt: string): Anthropic.TextBlockParam[] {
  let blocks = systems.get(prompt);
  if (!blocks) {
    blocks = [{ type: "text", text: prompt }];
    systems.set(prompt, blocks);
  }
  return blocks;
}

// What the user reads for a turn that is not kept (also when a redelivery of it is answered again).
const NOT_KEPT_MESSAGE = {
  refused: "agent-refused",
  context_exceeded: "agent-context-exceeded",
} as const;

/**
 * The agent loop: call the model, run the tools it asks for, feed results back, until
 * it answers. Our own loop rather than the SDK's beta tool runner because every
 * intermediate message must be stored (history with tool calls), usage is summed per
 * request, and every stop reason needs its own ending (the runner is beta-only and
 * ends silently at its bound).
 *
 * Stop reasons (platform.claude.com/docs/en/build-with-claude/handling-stop-reasons):
 * - tool_use: run the client tools, send the results, continue;
 * - pause_turn: a server tool (web search) paused a long turn; send the assistant
 *   content back as-is and the API continues it;
 * - end_turn / stop_sequence: answered;
 * - max_tokens: the answer was cut (a tool_use block in a cut response may be
 *   incomplete, so none of its calls run); the user is told, and how to continue;
 * - refusal / model_context_window_exceeded: a clear message, and the turn is not kept.
 * Requests are bounded by maxIterations: the last one allowed carries tool_choice "none"
 * and answers from every tool result gathered, so no result is discarded. tool_choice rather
 * than dropping `tools`: tool definitions open the cache prefix, so removing them would
 * invalidate the whole cache, while a tool_choice change only invalidates the message
 * part, and only for that one request.
 *
 * A failure after zero or more billed requests throws AgentError carrying the usage.
 */
export async function runAgent(input: AgentInput): Promise<AgentResult> {
  const { log, metrics, model } = input;
  const byName = new Map(input.tools.map((t) => [t.name, t]));
  const tools = toolDefinitions(input.tools, input.webSearchMaxUses ?? 0);
  const system = systemBlocks(input.skill.systemPrompt);
  const usage = emptyUsage();
  const reply: StoredMessage[] = [];
  let requests = 0;
  let forced = false;
  let droppedCalls = 0;
  let stopReason: Anthropic.StopReason | null = null;
  let previousEnd = previousRequestEnd(input.history as Anthropic.MessageParam[]);
  const observer = input.observer && input.streamMessage ? guarded(input.observer, log) : null;
  const request = (params: Anthropic.MessageCreateParamsNonStreaming): Promise<Anthropic.Message> =>
    observer
      ? input.streamMessage!(params, { ...(input.signal ? { signal: input.signal } : {}), events: observer })
      : input.createMessage(params, input.signal ? { signal: input.signal } : undefined);

  try {
    for (;;) {
      // Only a request that follows tool results or a pause can be the forced last one.
      forced = requests > 0 && requests + 1 >= input.maxIterations && tools.length > 0;
      const messages = [...input.history, ...reply] as Anthropic.MessageParam[];
      const params = placeCacheBreakpoints(
        {
          model,
          max_tokens: input.maxTokens,
          system,
          ...(tools.length > 0 ? { tools } : {}),
          ...(forced ? { tool_choice: { type: "none" as const } } : {}),
          messages,
        },
        previousEnd,
      );
      previousEnd = messages.length;
      requests++;
      metrics.inc("model_calls");
      const message = await request(params);
      addUsage(usage, message.usage, metrics);
      stopReason = message.stop_reason;
      observer?.requestDone({ request: requests, stopReason });
      log.debug({ stop_reason: stopReason, request: requests }, "model answered");
      let content = message.content as unknown as Block[];
      if (stopReason === "max_tokens") {
        // Cut mid-response: a tool_use block may be incomplete; none of its calls run.
        droppedCalls = content.filter((b) => b.type === "tool_use").length;
        content = content.filter((b) => b.type !== "tool_use");
      }
      appendAssistant(reply, content);
      if (forced) break;
      // Without tools there is nothing to run or continue (and no forced request to end on).
      if (tools.length === 0) break;
      if (stopReason === "tool_use") {
        const calls = content.filter((b) => b.type === "tool_use");
        const results = await Promise.all(calls.map((call) => runTool(call, byName, input.toolContext, log)));
        reply.push({ role: "user", content: results });
        continue;
      }
      if (stopReason === "pause_turn") continue;
      break;
    }
  } catch (err) {
    // A stream cut short was billed for what the API had reported by then (at least its input).
    if (err instanceof StreamInterruptedError) addUsage(usage, err.usage ?? undefined, metrics);
    priceUsage(model, usage, log);
    throw new AgentError(err, usage, requests, model);
  }
  priceUsage(model, usage, log);
  const base = { stopReason, usage, iterations: requests, hitIterationLimit: forced, model };

  if (stopReason === "refusal" || stopReason === "model_context_window_exceeded") {
    const outcome = stopReason === "refusal" ? "refused" : "context_exceeded";
    log.warn({ stop_reason: stopReason, outcome, requests }, "model turn not kept");
    return { ...base, outcome, keep: false, reply: [], text: t(input.locale, NOT_KEPT_MESSAGE[outcome]) };
  }

  // What the user reads when a turn does not end normally. Notices are stored with the
  // reply (a re-send shows the same text, and the model later sees what happened).
  const empty = t(input.locale, "agent-empty");
  const stored = sanitizeReply(reply, empty);
  // The final message as the model left it: sanitizeReply puts `empty` in a message
  // that was left with nothing (an empty answer, or a cut that held only a tool call).
  const finalBlocks = stored.at(-1)!.content as Block[];
  const emptied = finalBlocks.length === 1 && finalBlocks[0]!.text === empty;
  const answer = emptied ? [] : finalBlocks;
  let outcome: AgentOutcome = "answered";
  let notice: string | null = null;
  if (stopReason === "max_tokens") {
    outcome = "cut";
    notice = t(input.locale, droppedCalls > 0 ? "agent-cut-in-tool" : "agent-cut");
    log.warn(
      { stop_reason: stopReason, dropped_tool_calls: droppedCalls, max_tokens: input.maxTokens },
      "answer cut",
    );
  } else if (forced) {
    outcome = "iteration_limit";
    notice = t(input.locale, "agent-iteration-limit", { steps: requests });
    log.info({ requests }, "tool bound reached; answered without tools");
  }
  if (!notice && replyText([{ role: "assistant", content: answer }]) === "") {
    notice = empty;
    log.warn({ stop_reason: stopReason }, "model answered with no text");
  }
  if (notice) {
    // A notice after an answer reads as its own paragraph; `empty` says there is none.
    const text = answer.length === 0 || notice === empty ? notice : `\n\n${notice}`;
    stored[stored.length - 1] = { role: "assistant", content: [...answer, { type: "text", text }] };
  }
  return { ...base, outcome, keep: true, reply: stored, text: replyText(stored) };
}

/**
 * The observer as the loop calls it: a throwing observer is logged once and then
 * ignored, since watching a turn (a draft on screen) must never change its outcome.
 */
function guarded(observer: AgentObserver, log: Logger): AgentObserver {
  let broken = false;
  const safe =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A) => {
      if (broken) return;
      try {
        fn(...args);
      } catch (err) {
        broken = true;
        log.warn({ err }, "turn observer failed; it is ignored for the rest of the turn");
      }
    };
  return {
    text: safe((delta: string) => observer.text(delta)),
    toolStarted: safe((name: string) => observer.toolStarted(name)),
    requestDone: safe((info: Parameters<AgentObserver["requestDone"]>[0]) => observer.requestDone(info)),
  };
}

/** Adds a response to the reply; a continuation of a paused turn extends the paused message. */
function appendAssistant(reply: StoredMessage[], content: Block[]): void {
  const last = reply.at(-1);
  if (last?.role === "assistant") {
    last.content = [...(typeof last.content === "string" ? [] : last.content), ...content];
  } else {
    reply.push({ role: "assistant", content });
  }
}

async function runTool(
  call: Block,
  byName: Map<string, AgentTool>,
  ctx: ToolContext,
  log: Logger,
): Promise<Block> {
  const id = String(call.id);
  const name = String(call.name);
  const tool = byName.get(name);
  if (!tool) {
    log.warn({ tool: name }, "model asked for an unknown tool");
    return { type: "tool_result", tool_use_id: id, is_error: true, content: `Unknown tool "${name}".` };
  }
  const parsed = tool.input.safeParse(call.input);
  if (!parsed.success) {
    return {
      type: "tool_result",
      tool_use_id: id,
      is_error: true,
      content: `Invalid input for ${name}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    };
  }
  try {
    return { type: "tool_result", tool_use_id: id, content: await tool.run(parsed.data, ctx) };
  } catch (err) {
    // Input problems go back to the model verbatim; anything else is logged and summarised.
    if (err instanceof ToolInputError) {
      return { type: "tool_result", tool_use_id: id, is_error: true, content: err.message };
    }
    log.error({ err, tool: name }, "tool failed");
    return { type: "tool_result", tool_use_id: id, is_error: true, content: `The ${name} tool failed.` };
  }
}

function addUsage(total: AgentUsage, u: Anthropic.Usage | undefined, metrics: Metrics): void {
  if (!u) return;
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const cacheWrite = u.cache_creation_input_tokens ?? 0;
  total.inputTokens += u.input_tokens;
  total.outputTokens += u.output_tokens;
  total.cacheReadTokens += cacheRead;
  total.cacheWriteTokens += cacheWrite;
  total.webSearchRequests += u.server_tool_use?.web_search_requests ?? 0;
  metrics.inc("model_input_tokens", u.input_tokens);
  metrics.inc("model_output_tokens", u.output_tokens);
  metrics.inc("model_cache_read_tokens", cacheRead);
  metrics.inc("model_cache_write_tokens", cacheWrite);
}
