// One frame of a streamed answer, as the Bot API takes it. Pure: the draft streamer
// (draft-stream.ts) decides when to send, this decides what.
//
// Verified on the Bot API pages (core.telegram.org/bots/api#sendmessagedraft,
// #sendrichmessagedraft, #messagegenerationstopped) and grammY 1.46's types:
// sendMessageDraft (Bot API 9.3, open to all bots since 9.5): chat_id of a private chat
// ("unique identifier for the target private chat"; no drafts in groups), optional
// message_thread_id, draft_id non-zero (changes to drafts with the same id are animated,
// otherwise the draft is replaced), text of 0-4096 characters after entities parsing
// (empty shows a "Thinking…" placeholder), parse_mode / entities as for sendMessage,
// can_stop / keep_on_stop (a native stop button, see draft-stream.ts). The draft is an
// ephemeral preview (about 30 s), never a message: the answer must then be sent with
// sendMessage. sendRichMessageDraft (Bot API 10.1) takes an InputRichMessage instead
// (markdown, html or blocks; no uploads) with the same rules, and must be followed by
// sendRichMessage. No rate limit is documented for either (see draft-pacer.ts).
//
// Every frame is safe to send whatever the model has written so far:
// - HTML frames go through format.ts, whose output is balanced by construction for any
//   input (an unclosed ``` renders as code to the end, an unclosed ** as literal text),
//   so a partial answer cannot make Telegram answer "can't parse entities";
// - rich frames close a code fence or $$ block left open, so the rest of the frame is
//   not swallowed by it;
// - a trailing ** or ` left open on the last line is closed for display, so bold and
//   code do not flicker as literal markers until their closer arrives;
// - an answer longer than the limit shows its tail, cut at a line, "…" first and its
//   code fence reopened, so the draft follows the newest text.

import { markdownToTelegramHtml } from "./format.js";
import { openFenceBefore, TELEGRAM_TEXT_LIMIT } from "./split.js";

/** How frames (and answers) are formatted: Telegram HTML via format.ts, or a rich message's markdown. */
export type DraftFormat = "html" | "rich";

export type DraftFrame =
  | { method: "sendMessageDraft"; text: string; parse_mode: "HTML" }
  | { method: "sendRichMessageDraft"; rich_message: { markdown: string } };

/**
 * The answer so far and what is happening now (`status`: a Markdown line such as
 * "_Using calculator…_", or null); null when there is nothing to show yet.
 */
export function renderFrame(answer: string, status: string | null, format: DraftFormat): DraftFrame | null {
  status ??= "";
  const text = answer.trim() === "" ? "" : answer;
  if (text === "" && status === "") return null;
  // Room for the status line, the blank line before it and a fence closed ahead of it.
  const budget = TELEGRAM_TEXT_LIMIT - status.length - 6;
  let body = closeDangling(tail(text, budget));
  // The status is not code: a code block still streaming is closed before it.
  if (status !== "" && openFenceBefore(body, body.length) !== null) body += "\n```";
  const markdown = status === "" ? body : body === "" ? status : `${body}\n\n${status}`;
  if (format === "rich")
    return { method: "sendRichMessageDraft", rich_message: { markdown: closeBlocks(markdown) } };
  return { method: "sendMessageDraft", text: markdownToTelegramHtml(markdown), parse_mode: "HTML" };
}

// Room kept for the "…" line and a reopened fence ("```" + a language of up to 32 characters).
const TAIL_PREFIX_ROOM = 48;
// A cut moves forward to the next line break when one is this close: whole lines read better.
const LINE_SEARCH = 200;

/**
 * The newest `budget` characters of `md` (at most), starting at a line when one is near,
 * marked with "…" and with the code fence open there reopened. Rendered text is never
 * longer than its Markdown source (markup is removed, nothing is added), so the frame
 * stays within Telegram's limit after entity parsing.
 */
export function tail(md: string, budget: number): string {
  const text = dropLoneSurrogateAtEnd(md);
  if (text.length <= budget) return text;
  let start = text.length - (budget - TAIL_PREFIX_ROOM);
  const newline = text.indexOf("\n", start);
  if (newline !== -1 && newline - start < LINE_SEARCH) start = newline + 1;
  if (isLowSurrogate(text.charCodeAt(start))) start++;
  const fence = openFenceBefore(text, start);
  const reopen = fence === null ? "" : `\`\`\`${fence.slice(0, 32)}\n`;
  return `…\n${reopen}${text.slice(start)}`;
}

/** Closes a trailing ** or ` left open on the last line (outside code blocks), for display only. */
function closeDangling(md: string): string {
  if (md === "" || openFenceBefore(md, md.length) !== null) return md;
  const lastLine = md.slice(md.lastIndexOf("\n") + 1);
  if (/^ {0,3}```/.test(lastLine)) return md; // a fence line, not inline code
  let closers = "";
  const singleTicks = (lastLine.match(/`+/g) ?? []).filter((run) => run.length === 1).length;
  if (singleTicks % 2 === 1) closers += "`";
  const outsideCode = lastLine.replace(/`[^`]*`?/g, "");
  if ((outsideCode.match(/\*\*/g)?.length ?? 0) % 2 === 1) closers = `**${closers}`;
  return closers === "" ? md : `${md.trimEnd()}${closers}`;
}

/** Closes a code fence or $$ block still open at the end, for a rich frame. */
function closeBlocks(md: string): string {
  let out = md;
  const fence = openFenceBefore(out, out.length);
  if (fence !== null) return `${out}\n\`\`\``;
  if ((out.match(/^\s*\$\$\s*$/gm)?.length ?? 0) % 2 === 1) out += "\n$$";
  return out;
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** A delta may end between the two halves of a surrogate pair; Telegram wants valid UTF-8. */
function dropLoneSurrogateAtEnd(s: string): string {
  const last = s.charCodeAt(s.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? s.slice(0, -1) : s;
}
