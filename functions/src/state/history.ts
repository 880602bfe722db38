import type { Block, StoredMessage, Turn } from "./schemas.js";

// Pure history logic: flattening turns into Messages API order, repairing an
// agent reply so tool calls and results always pair, and capping on write.

export interface HistoryLimits {
  maxMessages: number;
  maxBytes: number;
  /**
   * When a write goes over either cap, trim to this fraction of both caps (default
   * TRIM_TO, 0.6) instead of just under them. The stored history is the prompt-cache
   * prefix of the next request: trimming one turn per turn would change its start on
   * every turn (a full cache rewrite each time); trimming in steps keeps it unchanged,
   * only growing at the end, for many turns between trims. 1 trims only what is needed.
   */
  trimTo?: number;
}

/** Default low-water mark for capping, as a fraction of the caps. */
export const TRIM_TO = 0.6;

/**
 * The status of a turn whose prompt must never reach the model again: the model
 * refused it, or it did not fit the context window (AgentResult.keep === false). Such a
 * turn is stored for the record with no reply and is left out of every later request.
 * (TurnSchema's status enum needs "dropped" for the store to accept it.)
 */
export const DROPPED_STATUS = "dropped" as const;

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
 * message instead of breaking alternation; a dropped turn is left out.
 */
export function toModelMessages(turns: readonly AnyTurn[]): StoredMessage[] {
  const out: StoredMessage[] = [];
  const push = (role: StoredMessage["role"], content: StoredMessage["content"] | readonly Block[]) => {
    const last = out.at(-1);
    if (last && last.role === role) last.content = [...blocks(last.content), ...blocks(content)];
    else out.push({ role, content: typeof content === "string" ? content : [...content] });
  };
  for (const turn of turns) {
    if (turn.status === DROPPED_STATUS) continue;
    push("user", turn.user);
    for (const m of turn.reply) push(m.role, m.content);
  }
  while (out.length > 0 && out[0]!.role !== "user") out.shift();
  return out;
}

const isToolUse = (b: Block) => b.type === "tool_use";
const isToolResult = (b: Block) => b.type === "tool_result";
// Server tools (web search, web fetch, code execution) run inside the API: the call
// (`server_tool_use`) and its result (`web_search_tool_result`, ...) come back together
// in one assistant message and must be sent back verbatim, as a pair.
const isServerCall = (b: Block) => b.type === "server_tool_use";
const isServerResult = (b: Block) => b.type !== "tool_result" && b.type.endsWith("_tool_result");
const isBlankText = (b: Block) => b.type === "text" && String(b.text ?? "").trim() === "";

/** An assistant message's blocks minus server calls and results that lost their partner, and blank texts. */
function pairedServerBlocks(content: readonly Block[]): Block[] {
  const calls = new Set(content.filter(isServerCall).map((b) => String(b.id)));
  const answered = new Set(content.filter(isServerResult).map((b) => String(b.tool_use_id)));
  return content.filter(
    (b) =>
      !isBlankText(b) &&
      (!isServerCall(b) || answered.has(String(b.id))) &&
      (!isServerResult(b) || calls.has(String(b.tool_use_id))),
  );
}

/**
 * Makes an agent reply safe to store: it starts with an assistant message, every
 * tool_result answers a tool_use of the message before it, no tool_use is left
 * unanswered, server tool calls keep their results, and it ends with an assistant
 * message. Consecutive assistant messages (a paused turn and its continuation) merge,
 * as the API itself merges them.
 */
export function sanitizeReply(reply: readonly StoredMessage[], stopText = "(stopped)"): StoredMessage[] {
  const out: StoredMessage[] = [];
  for (const m of reply) {
    const prev = out.at(-1);
    if (out.length === 0 && m.role !== "assistant") continue;
    if (m.role === "assistant") {
      if (prev?.role === "assistant") prev.content = [...blocks(prev.content), ...blocks(m.content)];
      else out.push({ role: "assistant", content: blocks(m.content) });
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
    const kept = pairedServerBlocks(blocks(m.content)).filter(
      (b) => !isToolUse(b) || answered.has(String(b.id)),
    );
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

/**
 * What a reply shows the user: the text of its final assistant message. The loop
 * builds the text the user reads with this, and a re-send of a stored reply uses it
 * too, so both are the same string. Adjacent text blocks are concatenated as they
 * are (a cited answer arrives as fragments of one sentence, split where a citation
 * starts or ends); runs of text separated by other blocks (a tool or search call)
 * are joined by a blank line. Web citations become Markdown links after the text
 * they support.
 */
export function replyText(reply: readonly StoredMessage[]): string {
  for (let i = reply.length - 1; i >= 0; i--) {
    const m = reply[i]!;
    if (m.role === "assistant") return blocksText(blocks(m.content));
  }
  return "";
}

function blocksText(content: readonly Block[]): string {
  const runs: string[] = [];
  let run: string | null = null;
  for (const b of content) {
    if (b.type === "text") run = (run ?? "") + String(b.text ?? "") + citationLinks(b);
    else if (run !== null) {
      runs.push(run);
      run = null;
    }
  }
  if (run !== null) runs.push(run);
  return runs
    .map((r) => r.trim())
    .filter((r) => r !== "")
    .join("\n\n");
}

// Markdown link parts: brackets in a title would end the link text; ")" or spaces in a URL would end the URL.
const linkTitle = (s: string) => s.replace(/[[\]]/g, "").replace(/\s+/g, " ").trim();
const URL_ESCAPES: Record<string, string> = { "(": "%28", ")": "%29" };
const linkUrl = (s: string) => s.replace(/[()\s]/g, (c) => URL_ESCAPES[c] ?? "%20");

/** " ([Title](url), ...)" for a text block's web search citations (one link per URL), or "". */
function citationLinks(b: Block): string {
  const citations = Array.isArray(b.citations) ? (b.citations as Block[]) : [];
  const seen = new Set<string>();
  const links: string[] = [];
  for (const c of citations) {
    if (c.type !== "web_search_result_location" || typeof c.url !== "string" || seen.has(c.url)) continue;
    if (!/^https?:\/\//.test(c.url) || !URL.canParse(c.url)) continue;
    seen.add(c.url);
    const title = linkTitle(typeof c.title === "string" ? c.title : "") || new URL(c.url).hostname;
    links.push(`[${title}](${linkUrl(c.url)})`);
  }
  return links.length > 0 ? ` (${links.join(", ")})` : "";
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
 * Caps history on write: when the message count or the serialized size goes over its
 * cap, drops whole turns from the oldest end until both are at or under the low-water
 * mark (`trimTo` of the caps, default 0.6), so the stored history is always the newest
 * turns by update id and its start stays put for many turns between trims (see
 * HistoryLimits.trimTo). The newest turn always stays; if it alone is too large it is
 * compacted. The result never exceeds either cap.
 */
export function capTurns(
  turns: readonly Turn[],
  limits: HistoryLimits,
): { turns: Turn[]; messages: number; bytes: number; dropped: number; trimmedThrough: number } {
  const sizes = turns.map(turnBytes);
  const counts = turns.map(turnMessageCount);
  let bytes = sizes.reduce((a, b) => a + b, 0);
  let messages = counts.reduce((a, b) => a + b, 0);
  let start = 0;
  if (messages > limits.maxMessages || bytes > limits.maxBytes) {
    const trimTo = Math.min(1, Math.max(0, limits.trimTo ?? TRIM_TO));
    const lowMessages = Math.floor(limits.maxMessages * trimTo);
    const lowBytes = Math.floor(limits.maxBytes * trimTo);
    while (start < turns.length - 1 && (messages > lowMessages || bytes > lowBytes)) {
      bytes -= sizes[start]!;
      messages -= counts[start]!;
      start++;
    }
  }
  const kept = turns.slice(start);
  if (kept.length === 1 && (messages > limits.maxMessages || bytes > limits.maxBytes)) {
    kept[0] = compactTurn(kept[0]!, limits.maxBytes);
    bytes = jsonBytes(kept[0]);
    messages = turnMessageCount(kept[0]!);
  }
  return {
    turns: kept,
    messages,
    bytes,
    dropped: start,
    trimmedThrough: start > 0 ? turns[start - 1]!.updateId : 0,
  };
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
