import { describe, expect, it } from "vitest";
import { longText } from "../../../devtools/fake-anthropic.js";
import { parseTelegramHtml, richMessageProblem } from "../../../devtools/telegram-formats.js";
import { t } from "../../../src/i18n/catalogue.js";
import { type DraftFrame, renderFrame, tail } from "../../../src/telegram/draft-frame.js";
import { TELEGRAM_TEXT_LIMIT } from "../../../src/telegram/split.js";

/** What the user sees in an HTML frame, parsed the way the fake Bot API (and Telegram) parses it. */
function visible(frame: DraftFrame | null): string {
  if (frame?.method !== "sendMessageDraft") throw new Error(`not an HTML frame: ${JSON.stringify(frame)}`);
  const parsed = parseTelegramHtml(frame.text);
  if ("error" in parsed) throw new Error(`Telegram would refuse ${frame.text}: ${parsed.error}`);
  return parsed.text;
}
const html = (answer: string, tool: string | null = null) =>
  renderFrame(
    answer,
    tool === null ? null : ((tool: string) => t("en", "using-tool", { tool }))(tool),
    "html",
  );

/** Every prefix of `s`, the way a stream could cut it. */
const prefixes = (s: string) => Array.from({ length: s.length }, (_, i) => s.slice(0, i + 1));

describe("draft frames: any partial answer is safe to send", () => {
  const answer = [
    "Here is **bold** and *italic* and `code` with a [link](https://example.com/a_(b)).",
    "",
    "```ts",
    "const x = a < b && c > d; // **not bold**",
    "```",
    "",
    "- item one",
    "> a quote with ~~strike~~",
    "Done: 2*3*4 = 24, snake_case_name.",
  ].join("\n");

  it("every prefix of a formatted answer renders to HTML Telegram accepts, within the limit", () => {
    for (const partial of prefixes(answer)) {
      const text = visible(html(partial));
      expect(text.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
    }
  });

  it("every prefix, with a tool running, too; the status is never inside a code block", () => {
    for (const partial of prefixes(answer)) {
      const frame = html(partial, "current_time");
      const text = visible(frame);
      expect(text.endsWith("Using current_time…")).toBe(true);
      expect((frame as { text: string }).text).toMatch(/<i>Using current_time…<\/i>$/);
    }
  });

  it("an unclosed ** or ` on the last line is shown closed, not as literal markers", () => {
    expect((html("Here is **bold so f") as { text: string }).text).toBe("Here is <b>bold so f</b>");
    expect((html("run `npm i") as { text: string }).text).toBe("run <code>npm i</code>");
    expect((html("**done** and") as { text: string }).text).toBe("<b>done</b> and");
  });

  it("an open code fence runs to the end of the frame", () => {
    expect((html("```py\nprint(1 < 2)") as { text: string }).text).toBe(
      '<pre><code class="language-py">print(1 &lt; 2)</code></pre>',
    );
  });

  it("nothing to show yet is no frame; a tool alone is a frame", () => {
    expect(html("")).toBeNull();
    expect(html("  \n")).toBeNull();
    expect(visible(html("", "calculator"))).toBe("Using calculator…");
  });

  it("a lone high surrogate at the end (a delta cut inside an emoji) is dropped", () => {
    const cut = "smile \ud83d";
    expect(visible(html(cut))).toBe("smile ");
    expect(visible(html("smile \ud83d\ude00"))).toBe("smile 😀");
  });
});

describe("draft frames: long answers show their tail", () => {
  it("the newest text, from a line start, marked with …, within 4096 visible characters", () => {
    const long = longText(10_000);
    const text = visible(html(long));
    expect(text.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
    expect(text.length).toBeGreaterThan(TELEGRAM_TEXT_LIMIT - 300);
    expect(text.startsWith("…\n")).toBe(true);
    expect(long.endsWith(text.slice(2))).toBe(true);
    expect(long).toContain(`\n${text.slice(2, 40)}`); // cut at a line
  });

  it("a tail that starts inside a code block reopens it, with its language", () => {
    const code = Array.from({ length: 400 }, (_, i) => `let v${i} = ${i} < ${i + 1};`).join("\n");
    const md = `Intro\n\n\`\`\`js\n${code}`;
    const t = tail(md, 4000);
    expect(t.startsWith("…\n```js\nlet v")).toBe(true);
    const frame = html(md);
    expect((frame as { text: string }).text).toMatch(/^…\n<pre><code class="language-js">let v/);
    expect(visible(frame).length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
  });

  it("every length of a long formatted answer stays within the limit after entity parsing", () => {
    const md = Array.from(
      { length: 120 },
      (_, i) => `- **item ${i}** & <tag> \`x<y\` [l](https://e.com/${i})`,
    ).join("\n");
    for (let n = 3000; n <= md.length; n += 97) {
      expect(visible(html(md.slice(0, n), "web_search")).length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
    }
  });
});

describe("rich draft frames", () => {
  const rich = (answer: string, tool: string | null = null) => {
    const frame = renderFrame(
      answer,
      tool === null ? null : ((tool: string) => t("en", "using-tool", { tool }))(tool),
      "rich",
    );
    if (frame?.method !== "sendRichMessageDraft") throw new Error("not a rich frame");
    expect(richMessageProblem(frame.rich_message)).toBeNull();
    return frame.rich_message.markdown;
  };

  it("Claude's Markdown goes as is; an open fence or $$ block is closed", () => {
    expect(rich("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |")).toBe(
      "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |",
    );
    expect(rich("```py\nx = 1")).toBe("```py\nx = 1\n```");
    expect(rich("$$\nx^2")).toBe("$$\nx^2\n$$");
    expect(rich("so **far")).toBe("so **far**");
    expect(rich("```py\nx = 1", "calculator")).toBe("```py\nx = 1\n```\n\n_Using calculator…_");
  });
});
