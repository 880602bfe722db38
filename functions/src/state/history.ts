import type { Block, StoredMessage, Turn } from "./schemas.js";

// Pure history logic: flattening turns into Messages API order, repairing an
// agent reply so tool calls and results always pair, and capping on write.

export interface HistoryLimits {
  maxMessages: number;
  maxBytes: number;
}

type Readonlyish<T> = T | Readonly<T>;
type AnyTurn = Readonlyish<Turn> & {
  readonly reply: readonly StoredMessage[];
  readonly user: readonly Block[];
};

function blocks(content: StoredMessage["content"] | readonly Block[]): Block[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : [...content];
}

/**
 * The messages to send to the model: user first, roles alternating. A turn with
 * no reply yet (failed, or still running elsewhere) merges into the next user
 * message instead of breaking alternation.
 */
export function toModelMessages(turns: readonly AnyTurn[]): StoredMessage[] {
  const out: StoredMessage[] = [];
  const push = (role: StoredMessage["role"], content: StoredMessage["content"] | readonly Block[]) => {
    const last = out.at(-1);
    if (last && last.role === role) last.content = [...blocks(last.content), ...blocks(content)];
    else out.push({ role, content: typeof content === "string" ? content : [...content] });
  };
  for (const turn of turns) {
    push("user", turn.user);
    for (const m of turn.reply) push(m.role, m.content);
  }
  while (out.length > 0 && out[0]!.role !== "user") out.shift();
  return out;
}

const isToolUse = (b: Block) => b.type === "tool_use";
const isToolResult = (b: Block) => b.type === "tool_result";

/**
 * Makes an agent reply safe to store: it starts with an assistant message, every
 * tool_result answers a tool_use of the message before it, no tool_use is left
 * unanswered, and it ends with an assistant message.
 */
export function sanitizeReply(reply: readonly StoredMessage[], stopText = "(stopped)"): StoredMessage[] {
  const out: StoredMessage[] = [];
  for (const m of reply) {
    const prev = out.at(-1);
    if (out.length === 0 && m.role !== "assistant") continue;
    if (m.role === "assistant") {
      if (prev?.role === "assistant") continue;
      out.push({ role: "assistant", content: blocks(m.content) });
      continue;
    }
    // A user message inside a reply carries tool results for the previous assistant message.
    const asked = new Set(
      blocks(prev!.content)
        .filter(isToolUse)
        .map((b) => String(b.id)),
    );
    const results = blocks(m.content).filter((b) => isToolResult(b) && asked.has(String(b.tool_use_id)));
    if (prev?.role !== "assistant" || results.length === 0) continue;
    out.push({ role: "user", content: results });
  }
  // Drop calls that got no result, and a trailing results message with no answer after it.
  if (out.at(-1)?.role === "user") out.pop();
  for (let i = 0; i < out.length; i++) {
    const m = out[i]!;
    if (m.role !== "assistant") continue;
    const next = out[i + 1];
    const answered = new Set(next ? blocks(next.content).map((b) => String(b.tool_use_id)) : []);
    const kept = blocks(m.content).filter((b) => !isToolUse(b) || answered.has(String(b.id)));
    m.content = kept.length > 0 ? kept : [{ type: "text", text: stopText }];
  }
  if (out.length === 0) out.push({ role: "assistant", content: [{ type: "text", text: stopText }] });
  return out;
}

export function turnMessageCount(turn: AnyTurn): number {
  return 1 + turn.reply.length;
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

/** The final assistant text of a reply: what the user was shown. */
export function replyText(reply: readonly StoredMessage[]): string {
  for (let i = reply.length - 1; i >= 0; i--) {
    const m = reply[i]!;
    if (m.role !== "assistant") continue;
    const text = blocks(m.content)
      .filter((b) => b.type === "text")
      .map((b) => String(b.text))
      .join("\n")
      .trim();
    if (text) return text;
  }
  return "";
}

function truncateText(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  const marker = " …[truncated]";
  return Buffer.from(text, "utf8")
    .subarray(0, Math.max(0, maxBytes - marker.length))
    .toString("utf8")
    .replace(/\uFFFD+$/, "")
    .concat(marker);
}

/** Shrinks one oversized turn: drop its tool steps, then truncate its texts. */
function compactTurn(turn: Turn, maxBytes: number): Turn {
  const text = replyText(turn.reply);
  const reply: StoredMessage[] =
    turn.reply.length > 0 ? [{ role: "assistant", content: text || "(no text)" }] : [];
  let compact: Turn = { ...turn, reply };
  if (jsonBytes(compact) <= maxBytes) return compact;
  // Leave room for the JSON around the texts; split what is left between user text and reply.
  const budget = Math.max(64, Math.floor((maxBytes - 512) / 2));
  const userText = turn.user
    .filter((b) => b.type === "text")
    .map((b) => String(b.text))
    .join("\n");
  compact = {
    ...turn,
    user: [{ type: "text", text: truncateText(userText || "(non-text message)", budget) }],
    reply: reply.length > 0 ? [{ role: "assistant", content: truncateText(text, budget) }] : [],
  };
  return compact;
}

// Turn sizes by identity: stored turns are frozen and shared between versions,
// so each is serialised once for capping, not on every write.
const turnSizes = new WeakMap<object, number>();
function turnBytes(turn: Turn): number {
  let size = turnSizes.get(turn);
  if (size === undefined) {
    size = jsonBytes(turn);
    turnSizes.set(turn, size);
  }
  return size;
}

/** Approximate stored size of a history (for L1 accounting), from the memoised turn sizes. */
export function historyBytes(turns: readonly Turn[]): number {
  return turns.reduce((n, t) => n + turnBytes(t), 256);
}

/**
 * Caps history on write: drops whole turns from the oldest end until both the
 * message count and the serialized size fit, so the stored history is always the
 * newest turns by update id. The newest turn always stays; if it alone is too
 * large it is compacted. The result never exceeds either limit.
 */
export function capTurns(
  turns: readonly Turn[],
  limits: HistoryLimits,
): { turns: Turn[]; messages: number; bytes: number; dropped: number } {
  const sizes = turns.map(turnBytes);
  const counts = turns.map(turnMessageCount);
  let bytes = sizes.reduce((a, b) => a + b, 0);
  let messages = counts.reduce((a, b) => a + b, 0);
  let start = 0;
  while (start < turns.length - 1 && (messages > limits.maxMessages || bytes > limits.maxBytes)) {
    bytes -= sizes[start]!;
    messages -= counts[start]!;
    start++;
  }
  const kept = turns.slice(start);
  if (kept.length === 1 && (messages > limits.maxMessages || bytes > limits.maxBytes)) {
    kept[0] = compactTurn(kept[0]!, limits.maxBytes);
    bytes = jsonBytes(kept[0]);
    messages = turnMessageCount(kept[0]!);
  }
  return { turns: kept, messages, bytes, dropped: start };
}

/**
 * The turns to send to the model for `turn`: the stored ones before it, then the
 * turn itself, whether or not it is in the stored window (a message redelivered
 * after newer ones may be older than the whole window; it is still answered).
 */
export function historyFor(stored: readonly Turn[], turn: Turn): Turn[] {
  return [...stored.filter((t) => t.updateId < turn.updateId), turn];
}

/** Inserts a turn in update_id order (Telegram ids increase), replacing one with the same id. */
export function insertTurn(turns: readonly Turn[], turn: Turn): Turn[] {
  const out = turns.filter((t) => t.updateId !== turn.updateId);
  const at = out.findIndex((t) => t.updateId > turn.updateId);
  if (at === -1) out.push(turn);
  else out.splice(at, 0, turn);
  return out;
}
