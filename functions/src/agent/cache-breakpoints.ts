import type Anthropic from "@anthropic-ai/sdk";

/**
 * Prompt-cache breakpoints for one Messages API request (pure; no I/O).
 *
 * The rules this relies on (platform.claude.com/docs/en/build-with-claude/prompt-caching
 * and .../tool-use/tool-use-with-prompt-caching):
 * - the cached prefix is rendered tools → system → messages and must match byte for byte
 *   up to a breakpoint (a block with `cache_control`); `cache_control` itself is not part
 *   of the match, so a breakpoint can move forward from request to request;
 * - at most 4 breakpoints per request;
 * - a breakpoint reads the longest cached prefix ending at it or at one of the ~20 blocks
 *   before it (the lookback), and writes its own prefix;
 * - a prefix under the model's minimum (e.g. 2,048 tokens for Sonnet 4.6, 4,096 for
 *   Opus 4.5/4.6 and Haiku 4.5) is silently not cached; entries live 5 minutes from
 *   their last use;
 * - changing tool definitions invalidates everything; changing `tool_choice`
 *   invalidates the message part only (tools and system stay cached).
 *
 * Placement, four breakpoints:
 * 1. the last tool definition: the tools, shared by every chat and skill with that tool set;
 * 2. the last system block: tools + system, shared by every chat of the skill;
 * 3. the end of the previous request of this conversation (`previousEnd` messages):
 *    an exact hit on what that request wrote, however many blocks were added since,
 *    so a tool round with many parallel calls (more than 20 new blocks) still reads
 *    the whole prefix instead of falling outside the lookback;
 * 4. the last block of the last message: writes the whole conversation for the next
 *    request (the next tool round, or the next turn of the chat).
 * Explicit breakpoints rather than automatic caching (top-level `cache_control`): the
 * automatic one is a single breakpoint at the end and relies on the 20-block lookback,
 * which a wide tool round overflows.
 */
export const CACHE_CONTROL = { type: "ephemeral" } as const;
export const MAX_BREAKPOINTS = 4;

type Params = Anthropic.MessageCreateParamsNonStreaming;
type Message = Anthropic.MessageParam;
type ContentBlock = Anthropic.ContentBlockParam;

/**
 * Where the previous request of a conversation ended, for the first request of a
 * turn: stored history ends "... X, final assistant answer, new user message", and the
 * previous turn's last request ended with X (its prompt or its last tool results).
 * Returns the number of messages that request had, or null when there is none.
 */
export function previousRequestEnd(messages: readonly Message[]): number | null {
  for (let i = messages.length - 1; i > 0; i--) if (messages[i]!.role === "assistant") return i;
  return null;
}

function withMarkOnLastBlock(message: Message): Message {
  const content: ContentBlock[] =
    typeof message.content === "string"
      ? [{ type: "text", text: message.content }]
      : (message.content as ContentBlock[]);
  if (content.length === 0) return message;
  // Copies: the blocks may belong to frozen, shared history.
  const last = { ...content.at(-1)!, cache_control: CACHE_CONTROL } as ContentBlock;
  return { ...message, content: [...content.slice(0, -1), last] } as Message;
}

/**
 * Returns the request with breakpoints placed as described above, without mutating
 * its input. `previousEnd` is the message count of the previous request in this
 * conversation (null for none). Any breakpoint already in the messages is removed
 * first, so the count never exceeds MAX_BREAKPOINTS.
 */
export function placeCacheBreakpoints(params: Params, previousEnd: number | null): Params {
  const messages = params.messages.map(stripMarks);
  const marks = new Set<number>();
  if (messages.length > 0) marks.add(messages.length - 1);
  if (previousEnd !== null && previousEnd > 0 && previousEnd < messages.length) marks.add(previousEnd - 1);
  for (const i of marks) messages[i] = withMarkOnLastBlock(messages[i]!);

  const system =
    typeof params.system === "string" ? [{ type: "text" as const, text: params.system }] : params.system;
  const markedSystem =
    system && system.length > 0
      ? [...system.slice(0, -1), { ...system.at(-1)!, cache_control: CACHE_CONTROL }]
      : system;
  const tools = params.tools;
  const markedTools =
    tools && tools.length > 0
      ? [...tools.slice(0, -1), { ...tools.at(-1)!, cache_control: CACHE_CONTROL } as Anthropic.ToolUnion]
      : tools;
  return {
    ...params,
    ...(markedTools ? { tools: markedTools } : {}),
    ...(markedSystem ? { system: markedSystem } : {}),
    messages,
  };
}

function stripMarks(message: Message): Message {
  if (typeof message.content === "string") return message;
  const content = message.content as ContentBlock[];
  if (!content.some((b) => "cache_control" in b)) return message;
  return {
    ...message,
    content: content.map((b) => {
      if (!("cache_control" in b)) return b;
      const { cache_control: _, ...rest } = b;
      return rest as ContentBlock;
    }),
  } as Message;
}

/** Breakpoints in a request (tools, system, message blocks, and a top-level one). */
export function countBreakpoints(params: Params): number {
  const has = (b: unknown) =>
    typeof b === "object" && b !== null && "cache_control" in b && !!b.cache_control;
  let n = has(params) ? 1 : 0;
  for (const t of params.tools ?? []) if (has(t)) n++;
  if (Array.isArray(params.system)) for (const b of params.system) if (has(b)) n++;
  for (const m of params.messages) if (Array.isArray(m.content)) for (const b of m.content) if (has(b)) n++;
  return n;
}
