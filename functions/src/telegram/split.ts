// The Bot API rejects message text longer than 4096 UTF-16 code units, so long replies are sent as
// several messages. Cuts prefer paragraph, then line, then word boundaries; a fenced code block that
// spans a cut is closed and reopened so every message still renders on its own.

export const TELEGRAM_TEXT_LIMIT = 4096;

const FENCE = "```";
const CLOSE = `\n${FENCE}`;
const SEPARATORS = ["\n\n", "\n", " "] as const;

/** A fence line in the source and the language left open after it (null once the block is closed). */
interface FenceLine {
  start: number;
  end: number;
  open: string | null;
}

export function splitMessage(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  // A surrogate pair must fit in one chunk, so anything below 2 could not make progress.
  if (!Number.isInteger(limit) || limit < 2) {
    throw new RangeError(`limit must be an integer >= 2, got ${limit}`);
  }
  const fences = scanFences(text);
  const chunks: string[] = [];
  let closedByUs = false;
  let pos = skipNewlines(text, 0);
  while (pos < text.length) {
    const open = openFenceAt(fences, pos);
    const closer = fences.find((f) => f.start === pos && f.open === null);
    if (open !== null && closedByUs && closer) {
      // Our synthetic close already ended this block; reopening it would only yield an empty one.
      closedByUs = false;
      pos = skipNewlines(text, closer.end);
      continue;
    }
    const prefix = open === null ? "" : `${FENCE}${open}\n`;
    // Tiny limits cannot afford the fence markers; plain cuts still make progress.
    const decorate = prefix.length + CLOSE.length + 2 <= limit;
    const build = (budget: number) => {
      const cut = findCut(text, pos, budget);
      const next = skipNewlines(text, cut.next);
      const close = decorate && next < text.length && openFenceAt(fences, cut.end) !== null;
      const body = text.slice(pos, cut.end).trimEnd();
      return { chunk: (decorate ? prefix : "") + body + (close ? CLOSE : ""), body, close, next };
    };
    const budget = decorate ? limit - prefix.length : limit;
    let piece = build(budget);
    // Reserve room for the closing fence only when this chunk turns out to need one.
    if (piece.chunk.length > limit) piece = build(budget - CLOSE.length);
    const keep = piece.body.trim() !== "";
    if (keep) chunks.push(piece.chunk);
    closedByUs = keep && piece.close;
    pos = piece.next;
  }
  return chunks;
}

/** Where the chunk starting at `pos` ends (`end`) and the next one starts (`next`, past the separator). */
function findCut(text: string, pos: number, budget: number): { end: number; next: number } {
  const max = pos + budget;
  if (text.length <= max) return { end: text.length, next: text.length };
  for (const sep of SEPARATORS) {
    const at = text.lastIndexOf(sep, max);
    if (at > pos) return { end: at, next: at + sep.length };
  }
  // No boundary at all: hard cut, but never between the two halves of a surrogate pair.
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return { end, next: end };
}

function skipNewlines(text: string, i: number): number {
  let j = i;
  while (text[j] === "\n" || text[j] === "\r") j++;
  return j;
}

function scanFences(text: string): FenceLine[] {
  const fences: FenceLine[] = [];
  let open: string | null = null;
  for (let start = 0; start <= text.length; ) {
    const nl = text.indexOf("\n", start);
    const end = nl === -1 ? text.length : nl;
    const line = text.slice(start, end);
    if (open === null) {
      const m = /^ {0,3}```\s*([^`\s]*)/.exec(line);
      if (m) {
        open = m[1] ?? "";
        fences.push({ start, end, open });
      }
    } else if (/^ {0,3}```\s*$/.test(line)) {
      open = null;
      fences.push({ start, end, open });
    }
    start = end + 1;
  }
  return fences;
}

/**
 * Language of the fenced code block open at `pos` in `text` ("" when it has none), or
 * null outside code: where a slice starting at `pos` must reopen the fence to render.
 */
export function openFenceBefore(text: string, pos: number): string | null {
  return openFenceAt(scanFences(text), pos);
}

/** Language of the fenced block open at `pos` (counting only fence lines that end by then), or null. */
function openFenceAt(fences: readonly FenceLine[], pos: number): string | null {
  let open: string | null = null;
  for (const f of fences) {
    if (f.end > pos) break;
    open = f.open;
  }
  return open;
}
