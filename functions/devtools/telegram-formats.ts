/**
 * How the Bot API reads formatted text, as far as the loopback fake needs it to reject
 * what Telegram rejects (core.telegram.org/bots/api#html-style, #rich-messages):
 *
 * - HTML parse mode: only the documented tags; every tag closed in order; text limits
 *   count the characters after entity parsing (tags removed, entities decoded).
 * - Rich messages: exactly one of markdown, html or blocks; the documented limits
 *   (32768 characters of text, 500 blocks, 20 table columns). Telegram counts them on
 *   the parsed message; the fake estimates them from the Markdown source.
 *
 * Error descriptions follow Telegram's where they are known ("can't parse entities: …");
 * the rich ones are the fake's own wording in the RICH_* family Telegram answers with.
 */

// core.telegram.org/bots/api#html-style
const HTML_TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "span",
  "tg-spoiler",
  "a",
  "code",
  "pre",
  "blockquote",
  "tg-emoji",
  "tg-time",
]);
const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/** The visible text of Telegram HTML, or why Telegram would refuse it. */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const open: string[] = [];
  let text = "";
  let i = 0;
  while (i < html.length) {
    const ch = html[i]!;
    if (ch === "<") {
      const end = html.indexOf(">", i);
      const tag =
        end === -1 ? null : /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>$/.exec(html.slice(i, end + 1));
      if (!tag) return { error: `Unsupported start tag at byte offset ${byteOffset(html, i)}` };
      const [, closing, rawName] = tag;
      const name = rawName!.toLowerCase();
      if (!HTML_TAGS.has(name)) {
        return { error: `Unsupported start tag "${name}" at byte offset ${byteOffset(html, i)}` };
      }
      if (closing) {
        const expected = open.pop();
        if (expected !== name) {
          return {
            error: `Unmatched end tag at byte offset ${byteOffset(html, i)}, expected "</${expected ?? ""}>", found "</${name}>"`,
          };
        }
      } else {
        open.push(name);
      }
      i = end + 1;
      continue;
    }
    if (ch === "&") {
      const entity = /^&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/.exec(html.slice(i, i + 12));
      const name = entity?.[1];
      if (name !== undefined) {
        const decoded = name.startsWith("#x")
          ? String.fromCodePoint(Number.parseInt(name.slice(2), 16))
          : name.startsWith("#")
            ? String.fromCodePoint(Number(name.slice(1)))
            : NAMED_ENTITIES[name];
        if (decoded !== undefined) {
          text += decoded;
          i += entity![0].length;
          continue;
        }
      }
    }
    text += ch;
    i++;
  }
  if (open.length > 0) return { error: `Can't find end tag corresponding to start tag "${open.at(-1)}"` };
  return { text };
}

function byteOffset(s: string, index: number): number {
  return Buffer.byteLength(s.slice(0, index), "utf8");
}

/** Rich Message Limits (core.telegram.org/bots/api#rich-messages). */
export const RICH_LIMITS = { chars: 32768, blocks: 500, tableColumns: 20 } as const;

/** Why Telegram would refuse this InputRichMessage, or null. */
export function richMessageProblem(rich: unknown): string | null {
  if (!rich || typeof rich !== "object") return "rich_message must be an object";
  const r = rich as Record<string, unknown>;
  const given = ["markdown", "html", "blocks"].filter((k) => r[k] !== undefined);
  if (given.length !== 1) return "exactly one of markdown, html or blocks must be specified";
  const source = r.markdown ?? r.html;
  if (source === undefined)
    return Array.isArray(r.blocks) && r.blocks.length > 0 ? null : "rich message must be non-empty";
  if (typeof source !== "string" || source.trim() === "") return "rich message must be non-empty";
  if ([...source].length > RICH_LIMITS.chars) return "RICH_MESSAGE_TOO_LONG";
  const lines = source.split("\n");
  if (lines.filter((l) => l.trim() !== "").length > RICH_LIMITS.blocks) return "RICH_MESSAGE_TOO_MANY_BLOCKS";
  const widest = Math.max(0, ...lines.filter((l) => /^\s*\|/.test(l)).map((l) => l.split("|").length - 2));
  if (widest > RICH_LIMITS.tableColumns) return "RICH_MESSAGE_TABLE_TOO_WIDE";
  return null;
}
