// Claude writes Markdown; Telegram's HTML parse mode accepts only a small tag set and rejects the whole
// message on any malformed markup. The output is balanced by construction: each tag is emitted together
// with its closer around recursively rendered content, and every other character is escaped.
// stripMarkdown shares the parser so the plain-text fallback agrees on what counts as formatting.

type Tag = "b" | "i" | "s";

interface Renderer {
  text(s: string): string;
  wrap(tag: Tag, inner: string): string;
  code(s: string): string;
  pre(code: string, lang: string): string;
  link(inner: string, url: string): string;
  quote(lines: string[]): string;
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escapeAttr = (s: string): string => escapeHtml(s).replace(/"/g, "&quot;");

const html: Renderer = {
  text: escapeHtml,
  wrap: (tag, inner) => `<${tag}>${inner}</${tag}>`,
  code: (s) => `<code>${escapeHtml(s)}</code>`,
  pre: (code, lang) =>
    `<pre><code${lang ? ` class="language-${escapeAttr(lang)}"` : ""}>${escapeHtml(code)}</code></pre>`,
  link: (inner, url) => `<a href="${escapeAttr(url)}">${inner}</a>`,
  quote: (lines) => `<blockquote>${lines.join("\n")}</blockquote>`,
};

const plain: Renderer = {
  text: (s) => s,
  wrap: (_tag, inner) => inner,
  code: (s) => s,
  pre: (code) => code,
  link: (inner, url) => (inner === url ? url : `${inner} (${url})`),
  quote: (lines) => lines.map((l) => `> ${l}`).join("\n"),
};

/**
 * A user-chosen value placed into one of our Markdown texts (i18n/catalogue.ts does it for
 * every such value), shown literally: Markdown escaped, and a zero-width space after every
 * "." and ":" so Telegram's own link detection finds no URL or domain in it either.
 */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_[\]()~>#+\-=|{}!<]/g, "\\$&").replace(/[.:]/g, "$&\u200b");
}

export function markdownToTelegramHtml(md: string): string {
  return render(md, html);
}

export function stripMarkdown(md: string): string {
  return render(md, plain);
}

// Private-use character marking parked fragments; stripped from input so it cannot be forged.
const MARK = "\uE000";
const PARKED = /\uE000(\d+)\uE000/g;
// A backslash escape or a code span (a backtick run closed by a run of the same length), whichever
// starts first, as in CommonMark: escapes do not work inside code, and "\`" does not open code.
const ESCAPE_OR_CODE = /\\([!-/:-@[-`{-~])|(?<!`)(`+)(?!`)(.+?)(?<!`)\2(?!`)/g;
// Only http(s) links; one level of balanced parentheses keeps Wikipedia-style URLs intact.
const LINK = /\[([^\]\n]+)\]\((https?:\/\/[^\s()\uE000]+(?:\([^\s()\uE000]*\)[^\s()\uE000]*)*)\)/g;
// Bare URLs are parked too, so underscores in them are never read as emphasis.
const BARE_URL = /https?:\/\/[^\s\uE000]+/g;
const FENCE_OPEN = /^ {0,3}(`{3,})\s*([^`\s]*)[^`]*$/;
const FENCE_CLOSE = /^ {0,3}(`{3,})\s*$/;
const QUOTE = /^ {0,3}> ?/;
const HEADING = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/;
const BULLET = /^(\s*)[-*+]\s+(.*)$/;

function render(md: string, r: Renderer): string {
  const lines = md.replaceAll(MARK, "").replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = FENCE_OPEN.exec(line);
    if (fence) {
      // An unclosed fence runs to the end of the text, as in CommonMark.
      const ticks = fence[1]!.length;
      const body: string[] = [];
      for (i++; i < lines.length && !isFenceClose(lines[i]!, ticks); i++) body.push(lines[i]!);
      out.push(r.pre(body.join("\n"), fence[2]!));
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted: string[] = [];
      for (; i < lines.length && QUOTE.test(lines[i]!); i++) {
        quoted.push(block(lines[i]!.replace(QUOTE, ""), r));
      }
      out.push(r.quote(quoted));
      continue;
    }
    out.push(block(line, r));
    i++;
  }
  return out.join("\n");
}

function isFenceClose(line: string, ticks: number): boolean {
  const m = FENCE_CLOSE.exec(line);
  return m !== null && m[1]!.length >= ticks;
}

/** One non-code line: heading, bullet or plain paragraph text. */
function block(line: string, r: Renderer): string {
  const heading = HEADING.exec(line);
  if (heading) return heading[1] ? r.wrap("b", inline(heading[1], withoutBold(r))) : "";
  const bullet = BULLET.exec(line);
  if (bullet) return `${bullet[1]}• ${inline(bullet[2]!, r)}`;
  return inline(line, r);
}

/** Headings are already bold; a nested <b> adds nothing and is safer avoided. */
function withoutBold(r: Renderer): Renderer {
  return { ...r, wrap: (tag, inner) => (tag === "b" ? inner : r.wrap(tag, inner)) };
}

function inline(line: string, r: Renderer): string {
  const slots: string[] = [];
  // Code, escapes and URLs are parked behind placeholders so emphasis parsing cannot reach into them.
  const park = (rendered: string): string => `${MARK}${slots.push(rendered) - 1}${MARK}`;
  const parked = line
    .replace(ESCAPE_OR_CODE, (_m, esc: string | undefined, _ticks, code: string | undefined) =>
      park(esc !== undefined ? r.text(esc) : r.code(trimCodeSpan(code ?? ""))),
    )
    .replace(LINK, (_m, text: string, url: string) => park(r.link(emphasis(text, r), url)))
    .replace(BARE_URL, (url) => park(r.text(url)));
  // Link slots may themselves contain parked code, hence the recursion.
  const restore = (s: string): string =>
    s.replace(PARKED, (_m, n: string) => restore(slots[Number(n)] ?? ""));
  return restore(emphasis(parked, r));
}

/** CommonMark strips one space from each side of a code span so "`` `x` ``" can hold backticks. */
function trimCodeSpan(code: string): string {
  return code.length > 2 && code.startsWith(" ") && code.endsWith(" ") && code.trim() !== ""
    ? code.slice(1, -1)
    : code;
}

const isWord = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
const isSpace = (ch: string | undefined): boolean => ch === undefined || /\s/.test(ch);

function runLength(s: string, i: number): number {
  let j = i;
  while (s[j] === s[i]) j++;
  return j - i;
}

/** Delimiter length an opening run stands for: ** and __ bold, * and _ italic, ~~ strike, 0 = literal. */
function delimiterLength(ch: string, run: number): number {
  if (ch === "~") return run === 2 ? 2 : 0;
  if (run === 1) return 1;
  // "***x***" opens bold here and leaves one "*" to open a nested italic.
  return run <= 3 ? 2 : 0;
}

/**
 * Emphasis only counts when it cannot be part of a word or an expression: an opener must not follow a
 * letter/digit and must precede non-space, a closer the reverse. That leaves snake_case and 2*3*4 alone.
 */
function emphasis(s: string, r: Renderer): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch !== "*" && ch !== "_" && ch !== "~") {
      out += r.text(ch);
      i++;
      continue;
    }
    const run = runLength(s, i);
    const len = delimiterLength(ch, run);
    const close = len > 0 && !isWord(s[i - 1]) && !isSpace(s[i + run]) ? findCloser(s, i + len, ch, len) : -1;
    if (close === -1) {
      out += r.text(s.slice(i, i + run));
      i += run;
      continue;
    }
    const tag: Tag = ch === "~" ? "s" : len === 2 ? "b" : "i";
    out += r.wrap(tag, emphasis(s.slice(i + len, close), r));
    i = close + len;
  }
  return out;
}

/** Index of the closing delimiter for an opener ending at `from`, or -1. */
function findCloser(s: string, from: number, ch: string, len: number): number {
  let j = from;
  while (j < s.length) {
    if (s[j] !== ch) {
      j++;
      continue;
    }
    const run = runLength(s, j);
    // A run of three can close either kind; its tail is the closer so "**a *b***" nests properly.
    const fits = run === len || (run === 3 && ch !== "~");
    if (fits && j > from && !isSpace(s[j - 1]) && !isWord(s[j + run])) return j + run - len;
    j += run;
  }
  return -1;
}
