import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConsoleOutput,
  DRAFT_PREFIX,
  displayPos,
  displayWidth,
  draftLine,
  draftSummary,
  followLog,
  shownText,
} from "../../../scripts/dev-console.mjs";
import { renderScreen } from "../../support/terminal-screen.js";

// The dev console's terminal output: a line that arrives while the prompt waits
// goes above it, and the prompt comes back with what had been typed.

/** A terminal-mode readline on in-memory streams, and what it has shown so far. */
function terminal(columns = 80) {
  const input = new PassThrough();
  const output = Object.assign(new PassThrough(), { isTTY: true, columns });
  let shown = "";
  output.on("data", (d: Buffer) => {
    shown += d.toString();
  });
  const rl = createInterface({ input, output, terminal: true });
  rl.setPrompt("you> ");
  return { input, output, rl, shown: () => shown, screen: () => renderScreen(shown, columns) };
}

describe("ConsoleOutput", () => {
  it("writes a late line above the prompt and redraws the prompt with the typed text", () => {
    const { input, output, rl, shown } = terminal();
    const out = new ConsoleOutput(output);
    out.attach(rl);
    out.prompt();
    input.write("half-typed");
    out.line("bot> a late reply");
    // The screen, as a terminal renders it: the reply on its own line, then the prompt.
    const screen = stripVTControlCharacters(shown());
    expect(screen.endsWith("bot> a late reply\nyou> half-typed")).toBe(true);
    // The prompt line is cleared (from its start down) before the reply is written over it.
    expect(shown()).toContain("\u001b[1G\u001b[0Jbot> a late reply\n");
    rl.close();
  });

  it("writes plainly while no prompt is shown (a message is on its way) and after Enter", () => {
    const { input, output, rl, shown } = terminal();
    const out = new ConsoleOutput(output);
    out.attach(rl);
    out.line("banner");
    out.prompt();
    input.write("hello\r");
    const before = shown().length;
    out.line("bot> hi");
    expect(shown().slice(before)).toBe("bot> hi\n");
    rl.close();
  });

  it("writes lines unchanged without a terminal (piped runs)", () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on("data", (d: Buffer) => chunks.push(d.toString()));
    const out = new ConsoleOutput(stream);
    out.prompt();
    out.line("you> hello");
    expect(chunks.join("")).toBe("you> hello\n");
  });
});

describe("ConsoleOutput's live line (a draft being written)", () => {
  const draft = (text: string) => `${DRAFT_PREFIX}${text}`;

  it("redraws the live line in place above the prompt, keeping what is typed", () => {
    const { input, output, rl, screen } = terminal();
    const out = new ConsoleOutput(output);
    out.attach(rl);
    out.line("banner");
    out.prompt();
    input.write("half");
    out.live(draft("Once"));
    out.live(draft("Once upon"));
    out.live(draft("Once upon a time"));
    expect(screen()).toEqual(["banner", draft("Once upon a time"), "you> half"]);
    // Lines printed meanwhile go above the live line.
    out.line("bot is typing…");
    expect(screen()).toEqual(["banner", "bot is typing…", draft("Once upon a time"), "you> half"]);
    input.write("-typed");
    expect(screen().at(-1)).toBe("you> half-typed");
    rl.close();
  });

  it("puts the answer where the draft was when it ends", () => {
    const { input, output, rl, screen } = terminal();
    const out = new ConsoleOutput(output);
    out.attach(rl);
    out.prompt();
    input.write("x");
    out.live(draft("The answer so"));
    out.line("bot> The answer so far, and the rest.", { endLive: true });
    expect(screen()).toEqual(["bot> The answer so far, and the rest.", "you> x"]);
    // Nothing live any more: a later line is written above the prompt as usual.
    out.line("bot> more");
    expect(screen()).toEqual(["bot> The answer so far, and the rest.", "bot> more", "you> x"]);
    rl.close();
  });

  it("moves a line entered under the live line above it, so the draft stays next to the prompt", () => {
    const { input, output, rl, screen } = terminal();
    const out = new ConsoleOutput(output);
    out.attach(rl);
    rl.on("line", () => out.prompt());
    out.prompt();
    input.write("write forever\r");
    out.live(draft("It was a dark"));
    input.write("/stop\r");
    expect(screen()).toEqual(["you> write forever", "you> /stop", draft("It was a dark"), "you>"]);
    out.line("bot> It was a dark (stopped)", { endLive: true });
    expect(screen()).toEqual(["you> write forever", "you> /stop", "bot> It was a dark (stopped)", "you>"]);
    rl.close();
  });

  it("removes the live line with null (a turn that ended without an answer)", () => {
    const { output, rl, screen } = terminal();
    const out = new ConsoleOutput(output);
    out.attach(rl);
    out.prompt();
    out.live(draft("partial"));
    out.live(null);
    expect(screen()).toEqual(["you>"]);
    rl.close();
  });

  it("keeps input that wraps over several rows intact while the live line changes", () => {
    const { input, output, rl, screen } = terminal(20);
    const out = new ConsoleOutput(output);
    out.attach(rl);
    out.prompt();
    const typed = "a long question that wraps";
    for (const key of typed) input.write(key); // typed, not pasted (readline redraws at the wrap)
    rl.write(null, { name: "left" }); // the cursor inside the text, as when editing it
    out.live(draftLine("first words", 20));
    out.live(draftLine("first words and then a lot more", 20));
    out.line("bot is typing…");
    const rows = screen();
    expect(rows.slice(0, 2)).toEqual(["bot is typing…", draftLine("first words and then a lot more", 20)]);
    expect(rows.slice(2).join("")).toBe(`you> ${typed}`);
    // readline still knows where the cursor is: its own redraw (an insertion) lands on the same rows.
    input.write("!");
    expect(screen().slice(2).join("")).toBe(`you> ${typed.slice(0, -1)}!${typed.slice(-1)}`);
    rl.close();
  });

  it("shows no live line without a terminal (piped runs)", () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on("data", (d: Buffer) => chunks.push(d.toString()));
    const out = new ConsoleOutput(stream);
    out.live(draft("not shown"));
    out.line("bot> shown", { endLive: true });
    expect(chunks.join("")).toBe("bot> shown\n");
  });
});

describe("draftLine", () => {
  it("shows a short draft as it is, line breaks and runs of spaces as one space", () => {
    expect(draftLine("Hello,\n\n  world", 80)).toBe(`${DRAFT_PREFIX}Hello, world`);
  });

  it("shows the newest text of a long draft after …, within the terminal's width minus one", () => {
    const text = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");
    const line = draftLine(text, 60);
    expect(line.startsWith(`${DRAFT_PREFIX}…`)).toBe(true);
    expect(line.endsWith("word38 word39")).toBe(true);
    expect(displayWidth(line)).toBeLessThanOrEqual(59);
    expect(displayWidth(line)).toBeGreaterThanOrEqual(57);
  });

  it("counts wide characters as two columns and never cuts a character in half", () => {
    const line = draftLine("日本語のテキスト".repeat(10), 40);
    expect(displayWidth(line)).toBeLessThanOrEqual(39);
    expect(line.endsWith("テキスト")).toBe(true);
    const emoji = draftLine("👍🏽 ok ".repeat(20), 30);
    expect(displayWidth(emoji)).toBeLessThanOrEqual(29);
    expect(emoji).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no lone high surrogate
  });

  it("assumes 80 columns when the terminal does not say", () => {
    const line = draftLine("x".repeat(200), undefined);
    expect(displayWidth(line)).toBe(79);
    expect(draftLine("x".repeat(200), 0)).toBe(line);
  });
});

describe("displayWidth and displayPos", () => {
  it("measure what a terminal shows", () => {
    expect(displayWidth("abc")).toBe(3);
    expect(displayWidth("日本")).toBe(4);
    expect(displayWidth("e\u0301")).toBe(1); // e + combining acute
    expect(displayWidth("👍")).toBe(2);
    expect(displayWidth("\u001b[2mdim\u001b[22m")).toBe(3);
  });

  it("says where text written from a row's start ends, wrapping at the width", () => {
    expect(displayPos("you> hello", 80)).toEqual({ rows: 0, cols: 10 });
    expect(displayPos("x".repeat(25), 10)).toEqual({ rows: 2, cols: 5 });
    expect(displayPos("x".repeat(20), 10)).toEqual({ rows: 2, cols: 0 });
    expect(displayPos("ab\ncd", 10)).toEqual({ rows: 1, cols: 2 });
    expect(displayPos("x".repeat(500), Number.POSITIVE_INFINITY)).toEqual({ rows: 0, cols: 500 });
  });
});

describe("shownText and draftSummary", () => {
  it("shows HTML text without markup, and other text as it is", () => {
    expect(shownText({ text: "<b>bold</b> &amp; <i>(stopped)</i>", parse_mode: "HTML" })).toBe(
      "bold & (stopped)",
    );
    expect(shownText({ text: "a <b> is not a tag here" })).toBe("a <b> is not a tag here");
  });

  it("shows rich messages and rich drafts (InputRichMessage): markdown as written, html as text", () => {
    expect(shownText({ rich_message: { markdown: "# Title\n**bold**" } })).toBe("# Title\n**bold**");
    expect(shownText({ rich_message: { html: "<p>a &lt; b</p>" } })).toBe("a < b");
    expect(shownText({ rich_message: JSON.stringify({ markdown: "sent as a form field" }) })).toBe(
      "sent as a form field",
    );
    expect(shownText({ rich_message: { blocks: [{}, {}] } })).toBe("[rich message: 2 blocks]");
  });

  it("sums up a turn's drafts in one line", () => {
    expect(draftSummary(1)).toBe("bot is writing… (1 draft frame)");
    expect(draftSummary(12)).toBe("bot is writing… (12 draft frames)");
  });
});

describe("renderScreen (the tests' terminal)", () => {
  it("replays text, cursor moves and erasing, with deferred wrap and autowrap off", () => {
    expect(renderScreen("one\ntwo\u001b[1A\u001b[1G\u001b[0Jthree\n")).toEqual(["three", ""]);
    expect(renderScreen("abcdef", 4)).toEqual(["abcd", "ef"]);
    expect(renderScreen("abcd\r\n", 4)).toEqual(["abcd", ""]);
    expect(renderScreen("\u001b[?7labcdef\u001b[?7h\n", 4)).toEqual(["abcf", ""]);
    expect(renderScreen("hello\u001b[3D\u001b[K!")).toEqual(["he!"]);
  });
});

describe("followLog", () => {
  const dir = mkdtempSync(join(tmpdir(), "dev-console-log-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("hands over whole lines, from the start of the file, as they are written", async () => {
    const file = join(dir, "emulators.log");
    writeFileSync(file, "started\nhalf a li");
    const lines: string[] = [];
    let notify = () => {};
    const follower = followLog(file, (line) => {
      lines.push(line);
      notify();
    });
    expect(lines).toEqual(["started"]);
    const next = new Promise<void>((resolve) => {
      notify = resolve;
    });
    appendFileSync(file, "ne\n");
    await next;
    expect(lines).toEqual(["started", "half a line"]);
    // close() takes what is left (complete lines only) and stops following.
    appendFileSync(file, "last\nunfinished");
    follower.close();
    expect(lines).toEqual(["started", "half a line", "last"]);
    appendFileSync(file, " more\n");
    expect(lines).toHaveLength(3);
  });
});
