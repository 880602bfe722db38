import { describe, expect, it } from "vitest";
import { stripMarkdown, markdownToTelegramHtml as toHtml } from "../../../src/telegram/format.js";

const ALLOWED = new Set(["b", "i", "u", "s", "code", "pre", "a", "blockquote"]);

/** Returns a list of problems: unknown tags, unbalanced or crossed tags, stray < > or bare &. */
function htmlProblems(html: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([a-z]+)((?:\s+[a-z]+="[^"<>]*")*)>/g;
  let last = 0;
  const checkText = (text: string): void => {
    if (/[<>]/.test(text)) problems.push(`stray angle bracket in ${JSON.stringify(text)}`);
    if (/&(?!(?:amp|lt|gt|quot);)/.test(text)) problems.push(`bare & in ${JSON.stringify(text)}`);
  };
  for (const m of html.matchAll(tag)) {
    checkText(html.slice(last, m.index));
    last = m.index + m[0].length;
    const [, slash, name = ""] = m;
    if (!ALLOWED.has(name)) problems.push(`disallowed <${name}>`);
    if (!slash) {
      if (stack.includes("code") || (stack.at(-1) === "pre" && name !== "code")) {
        problems.push(`<${name}> inside code`);
      }
      stack.push(name);
    } else if (stack.pop() !== name) {
      problems.push(`unexpected </${name}>`);
    }
  }
  checkText(html.slice(last));
  if (stack.length > 0) problems.push(`unclosed ${stack.join(",")}`);
  return problems;
}

describe("htmlProblems (test helper)", () => {
  it("detects broken markup", () => {
    expect(htmlProblems("<b>ok</b> &amp; <i>x</i>")).toEqual([]);
    expect(htmlProblems("<b>x")).not.toEqual([]);
    expect(htmlProblems("<b><i>x</b></i>")).not.toEqual([]);
    expect(htmlProblems("<div>x</div>")).not.toEqual([]);
    expect(htmlProblems("a < b")).not.toEqual([]);
    expect(htmlProblems("a & b")).not.toEqual([]);
    expect(htmlProblems("<code><b>x</b></code>")).not.toEqual([]);
  });
});

describe("markdownToTelegramHtml", () => {
  it("escapes & < > in text", () => {
    expect(toHtml("a < b && c > d")).toBe("a &lt; b &amp;&amp; c &gt; d");
    expect(toHtml("<script>alert(1)</script>")).toBe("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("escapes inline code and leaves its content unformatted", () => {
    expect(toHtml("run `a<b> && **c**`")).toBe("run <code>a&lt;b&gt; &amp;&amp; **c**</code>");
    expect(toHtml("`` a `tick` b ``")).toBe("<code>a `tick` b</code>");
  });

  it("renders fenced code blocks with and without a language", () => {
    expect(toHtml("```python\nif a < b and c & d:\n    **x** = _y_\n```")).toBe(
      '<pre><code class="language-python">if a &lt; b and c &amp; d:\n    **x** = _y_</code></pre>',
    );
    expect(toHtml("before\n```\n# not a heading\n- not a bullet\n```\nafter")).toBe(
      "before\n<pre><code># not a heading\n- not a bullet</code></pre>\nafter",
    );
  });

  it("treats an unclosed fence as code to the end", () => {
    expect(toHtml("```js\nlet a = 1 < 2;")).toBe(
      '<pre><code class="language-js">let a = 1 &lt; 2;</code></pre>',
    );
  });

  it("converts bold, italic and strikethrough in both spellings", () => {
    expect(toHtml("**b** __b__ *i* _i_ ~~s~~")).toBe("<b>b</b> <b>b</b> <i>i</i> <i>i</i> <s>s</s>");
    expect(toHtml("end of **sentence**.")).toBe("end of <b>sentence</b>.");
  });

  it("nests bold and italic", () => {
    expect(toHtml("**bold *both* bold**")).toBe("<b>bold <i>both</i> bold</b>");
    expect(toHtml("*it **both** it*")).toBe("<i>it <b>both</b> it</i>");
    expect(toHtml("***both***")).toBe("<b><i>both</i></b>");
    expect(toHtml("**a _b_ ~~c~~**")).toBe("<b>a <i>b</i> <s>c</s></b>");
  });

  it("leaves snake_case identifiers and arithmetic alone", () => {
    expect(toHtml("call snake_case_names and my_var_2")).toBe("call snake_case_names and my_var_2");
    expect(toHtml("2*3*4 = 24 and 2 * 3 * 4 too")).toBe("2*3*4 = 24 and 2 * 3 * 4 too");
    expect(toHtml("a*b and x_y_z")).toBe("a*b and x_y_z");
    // The closer alone looks valid here; only the intraword opener rule keeps these literal.
    expect(toHtml("file_name and other_ things, a*b c* d")).toBe("file_name and other_ things, a*b c* d");
  });

  it("leaves unmatched markers literal", () => {
    expect(toHtml("**unclosed bold")).toBe("**unclosed bold");
    expect(toHtml("a ** b")).toBe("a ** b");
    expect(toHtml("one `tick and ~single~")).toBe("one `tick and ~single~");
    expect(toHtml("**")).toBe("**");
  });

  it("honours backslash escapes", () => {
    expect(toHtml("\\*not italic\\* and \\<b\\>")).toBe("*not italic* and &lt;b&gt;");
  });

  it("converts http(s) links and escapes the href", () => {
    expect(toHtml("see [the docs](https://example.com/a?b=1&c=2)")).toBe(
      'see <a href="https://example.com/a?b=1&amp;c=2">the docs</a>',
    );
    expect(toHtml('[q](https://x.io/"quoted")')).toBe('<a href="https://x.io/&quot;quoted&quot;">q</a>');
    expect(toHtml("[wiki](https://en.wikipedia.org/wiki/Rust_(language))")).toBe(
      '<a href="https://en.wikipedia.org/wiki/Rust_(language)">wiki</a>',
    );
    expect(toHtml("[**bold** `link`](http://x.io)")).toBe(
      '<a href="http://x.io"><b>bold</b> <code>link</code></a>',
    );
  });

  it("keeps non-http links literal and does not format inside bare URLs", () => {
    expect(toHtml("[x](javascript:alert(1))")).toBe("[x](javascript:alert(1))");
    expect(toHtml("https://x.io/_a_/b*c* ok")).toBe("https://x.io/_a_/b*c* ok");
  });

  it("renders headings as bold lines", () => {
    expect(toHtml("# Title\n## Sub *part* ##\n#hashtag")).toBe(
      "<b>Title</b>\n<b>Sub <i>part</i></b>\n#hashtag",
    );
    // Bold inside a heading is not doubled.
    expect(toHtml("### **Already bold**")).toBe("<b>Already bold</b>");
  });

  it("renders bullets", () => {
    expect(toHtml("- one\n* two **2**\n  - nested")).toBe("• one\n• two <b>2</b>\n  • nested");
    expect(toHtml("*not a bullet*")).toBe("<i>not a bullet</i>");
  });

  it("groups consecutive > lines into one blockquote", () => {
    expect(toHtml("> first **line**\n> second\nafter > that")).toBe(
      "<blockquote>first <b>line</b>\nsecond</blockquote>\nafter &gt; that",
    );
  });

  it("always produces balanced HTML using only Telegram's tags", () => {
    const doc = [
      "# Heading with <tags> & **bold**",
      'Some *italic*, __bold__, ~~gone~~, `code <x>`, [link](https://a.io/?q=<1>&r="2").',
      "> quoted *text* & more",
      "- bullet with snake_case and 2*3",
      "```ts",
      "const a = b < c && d > e; // **not bold**",
      "```",
      "**unclosed *mixed __markers ~~everywhere ` [broken](link",
    ].join("\n");
    expect(htmlProblems(toHtml(doc))).toEqual([]);
  });

  it("stays balanced on random marker soup", () => {
    const alphabet = ["*", "**", "_", "__", "~~", "`", "```", "[", "](", "https://x.io/", ")", "<", ">", "&"];
    const filler = ["a", "b", " ", "\n", "# ", "> ", "- ", "\\", "x_y", "2*3"];
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 500; round++) {
      let md = "";
      for (let k = 0; k < 40; k++) {
        const pool = rand(2) ? alphabet : filler;
        md += pool[rand(pool.length)];
      }
      const out = toHtml(md);
      expect({ md, problems: htmlProblems(out) }).toEqual({ md, problems: [] });
    }
  });
});

describe("stripMarkdown", () => {
  it("removes markers and fences but keeps text and link URLs", () => {
    const md = [
      "## Result",
      "This is **bold**, *italic*, ~~struck~~ and `code`.",
      "See [the docs](https://example.com/x) or https://example.com/y.",
      "- item one",
      "> quoted",
      "```js",
      "let a = 1 < 2; // **raw**",
      "```",
    ].join("\n");
    expect(stripMarkdown(md)).toBe(
      [
        "Result",
        "This is bold, italic, struck and code.",
        "See the docs (https://example.com/x) or https://example.com/y.",
        "• item one",
        "> quoted",
        "let a = 1 < 2; // **raw**",
      ].join("\n"),
    );
  });

  it("does not escape HTML and leaves identifiers and unmatched markers alone", () => {
    expect(stripMarkdown("a < b & snake_case 2*3*4 **open")).toBe("a < b & snake_case 2*3*4 **open");
  });

  it("shows a link whose text is its URL only once", () => {
    expect(stripMarkdown("[https://x.io](https://x.io)")).toBe("https://x.io");
  });
});
