import type Anthropic from "@anthropic-ai/sdk";
import { z } from "zod";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { sanitizeReply } from "../state/history.js";
import type { Block, Skill, StoredMessage, Usage } from "../state/schemas.js";
import { estimateCostUsd } from "./pricing.js";
import type { AgentTool, ToolContext } from "./tools/tool.js";
import { ToolInputError } from "./tools/tool.js";

/** The one call the loop needs from Anthropic: a port, so tests and benches can swap the edge. */
export type CreateMessage = (
  params: Anthropic.MessageCreateParamsNonStreaming,
  options?: { signal?: AbortSignal },
) => Promise<Anthropic.Message>;

export interface AgentInput {
  history: StoredMessage[];
  skill: Readonly<Skill>;
  tools: readonly AgentTool[];
  model: string;
  maxTokens: number;
  maxIterations: number;
  toolContext: ToolContext;
  createMessage: CreateMessage;
  metrics: Metrics;
  log: Logger;
  signal?: AbortSignal;
}

export interface AgentResult {
  /** Assistant/tool messages to store on the turn (always valid to send back later). */
  reply: StoredMessage[];
  /** What the user sees. */
  text: string;
  usage: Omit<Usage, "messages">;
  iterations: number;
  hitIterationLimit: boolean;
  model: string;
}

// Tool definitions depend only on the tool set: built once per set, not per request.
const definitions = new Map<string, Anthropic.Tool[]>();
function toolDefinitions(tools: readonly AgentTool[]): Anthropic.Tool[] {
  const key = tools.map((t) => t.name).join(",");
  let defs = definitions.get(key);
  if (!defs) {
    defs = tools.map((t, i) => ({
      name: t.name,
      description: t.description,
      input_schema: z.toJSONSchema(t.input, { io: "input" }) as Anthropic.Tool.InputSchema,
      // Breakpoints here and on the system prompt: the prefix is tools, then system.
      ...(i === tools.length - 1 ? { cache_control: { type: "ephemeral" as const } } : {}),
    }));
    definitions.set(key, defs);
  }
  return defs;
}

export const ITERATION_LIMIT_TEXT = (n: number) =>
  `I stopped after ${n} tool steps without finishing. Ask again, perhaps more specifically, and I will continue.`;

/**
 * The agent loop: call the model, run the tools it asks for, feed results back,
 * until it answers or the iteration bound is reached. Our own loop rather than
 * the SDK's beta tool runner because every intermediate message must be stored
 * (history with tool calls), usage is summed per request, and the bound must end
 * with a clear message; the runner is beta-only and ends silently at the bound.
 *
 * The stable prefix (tools, then system) carries cache_control so repeated turns
 * read it from the prompt cache.
 */
export async function runAgent(input: AgentInput): Promise<AgentResult> {
  const { tools, log, metrics } = input;
  const byName = new Map(tools.map((t) => [t.name, t]));
  const toolParams = toolDefinitions(tools);
  const system: Anthropic.TextBlockParam[] = [
    { type: "text", text: input.skill.systemPrompt, cache_control: { type: "ephemeral" } },
  ];
  const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 };
  const reply: StoredMessage[] = [];
  let iterations = 0;

  while (iterations < input.maxIterations) {
    iterations++;
    metrics.inc("model_calls");
    const message = await input.createMessage(
      {
        model: input.model,
        max_tokens: input.maxTokens,
        system,
        tools: toolParams.length > 0 ? toolParams : undefined,
        messages: [...input.history, ...reply] as Anthropic.MessageParam[],
      },
      input.signal ? { signal: input.signal } : undefined,
    );
    addUsage(usage, message.usage, metrics);
    const content = message.content as unknown as Block[];
    reply.push({ role: "assistant", content });
    log.debug({ stop_reason: message.stop_reason, iteration: iterations }, "model answered");
    if (message.stop_reason !== "tool_use") break;

    const calls = content.filter((b) => b.type === "tool_use");
    const results = await Promise.all(calls.map((call) => runTool(call, byName, input.toolContext, log)));
    reply.push({ role: "user", content: results });
  }

  const last = reply.at(-1);
  const hitIterationLimit = last?.role === "user";
  let stored = sanitizeReply(reply);
  if (hitIterationLimit) {
    // The bound ends the turn with words, never silence.
    const final = stored.at(-1)!;
    const blocks =
      typeof final.content === "string" ? [{ type: "text", text: final.content }] : final.content;
    stored = [
      ...stored.slice(0, -1),
      { role: "assistant", content: [...blocks, { type: "text", text: ITERATION_LIMIT_TEXT(iterations) }] },
    ];
  }
  usage.costUsd = estimateCostUsd(input.model, usage);
  return {
    reply: stored,
    text: finalText(stored),
    usage,
    iterations,
    hitIterationLimit,
    model: input.model,
  };
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

function addUsage(total: Omit<Usage, "messages">, u: Anthropic.Usage | undefined, metrics: Metrics): void {
  if (!u) return;
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const cacheWrite = u.cache_creation_input_tokens ?? 0;
  total.inputTokens += u.input_tokens;
  total.outputTokens += u.output_tokens;
  total.cacheReadTokens += cacheRead;
  total.cacheWriteTokens += cacheWrite;
  metrics.inc("model_input_tokens", u.input_tokens);
  metrics.inc("model_output_tokens", u.output_tokens);
  metrics.inc("model_cache_read_tokens", cacheRead);
  metrics.inc("model_cache_write_tokens", cacheWrite);
}

function finalText(reply: readonly StoredMessage[]): string {
  const final = reply.at(-1);
  if (!final) return "";
  const blocks = typeof final.content === "string" ? [{ type: "text", text: final.content }] : final.content;
  return blocks
    .filter((b) => b.type === "text")
    .map((b) => String(b.text))
    .join("\n\n")
    .trim();
}
