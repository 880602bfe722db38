import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { ANTHROPIC_PORT, PROJECT, TELEGRAM_PORT } from "../support/e2e.js";
import { renderScreen } from "../support/terminal-screen.js";

const functionsDir = join(import.meta.dirname, "..", "..");

// The demo-test function points at the ports the e2e fakes use; here the console
// serves them itself (e2e files run one at a time and close their fakes).
const consoleArgs = (project: string) => [
  "scripts/dev-console.mjs",
  "--project",
  project,
  "--offline",
  "--telegram-port",
  String(TELEGRAM_PORT),
  "--anthropic-port",
  String(ANTHROPIC_PORT),
];

/** Runs the console as `npm run dev` does, but with piped stdin, until it exits. */
function runConsole(
  input: string,
  opts: { project?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {},
) {
  const args = [...consoleArgs(opts.project ?? PROJECT), ...(opts.args ?? [])];
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: functionsDir,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...opts.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`console did not exit within 60 s\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, 60_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** The size of the pseudo-terminal runInTerminal gives the console (`script` alone makes it 0×0). */
const COLUMNS = 100;

/**
 * Runs the console on a real pseudo-terminal (util-linux `script`), as a developer
 * does: each step waits until the screen shows `after` (past the previous step),
 * then types `keys`. Resolves with everything the terminal showed and the exit code
 * (`renderScreen(screen, COLUMNS)` replays it into the rows a terminal would show).
 */
function runInTerminal(steps: Array<{ after: string; keys: string }>) {
  const node = [process.execPath, ...consoleArgs(PROJECT)].map((a) => `'${a}'`).join(" ");
  // `exec`: the console is the foreground process itself, whatever $SHELL is (see dev-polling.test.ts).
  const command = `stty cols ${COLUMNS} rows 40; exec ${node}`;
  return new Promise<{ code: number | null; screen: string }>((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      cwd: functionsDir,
      stdio: ["pipe", "pipe", "inherit"],
    });
    let screen = "";
    let from = 0;
    const pending = [...steps];
    child.stdout.on("data", (d: Buffer) => {
      screen += d.toString();
      for (let step = pending[0]; step; step = pending[0]) {
        const at = screen.indexOf(step.after, from);
        if (at < 0) break;
        pending.shift();
        from = at + step.after.length;
        child.stdin.write(step.keys);
      }
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`console did not exit within 60 s; screen:\n${screen}`));
    }, 60_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

describe("dev console (npm run dev), driven through stdin", () => {
  it("sends each line as an Update, prints the bot's replies in order and exits 0 at EOF", async () => {
    const { code, stdout, stderr } = await runConsole("hello console\nwhat is (2+3)*4?\n/help\n");
    expect(code, `stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);
    expect(stdout).toContain("OFFLINE stand-in");
    expect(stdout).toContain("you> hello console");
    // Private chats stream: the answer's drafts, if one was shown before the (one-piece) answer
    // ended, are summed up in one line right before it; "sums up a streamed answer's drafts"
    // below streams for seconds, so there the line is certain.
    const lines = stdout.split("\n");
    const answer = lines.indexOf("bot> [offline model] echo: hello console");
    expect(answer, stdout).toBeGreaterThan(0);
    expect(lines[answer - 1]).toMatch(
      /^(you> hello console|bot is writing… \(\d+ draft frames?\)|bot is typing…)$/,
    );
    // The offline stand-in labels every reply; the console prints it as plain text.
    expect(stdout).toContain("bot> [offline model] echo: hello console");
    // The offline stand-in sends arithmetic through the real tool loop (calculator).
    expect(stdout).toContain("bot> [offline model] tool result: 20");
    // /help is answered by the bot itself, after the first reply.
    const help = stdout.indexOf("bot> Commands:");
    expect(help).toBeGreaterThan(stdout.indexOf("echo: hello console"));
    for (const command of ["/help", "/reset", "/undo", "/skill", "/stats"]) {
      expect(stdout.slice(help)).toContain(command);
    }
  });

  it("ends at /quit without sending it or anything after it", async () => {
    const { code, stdout, stderr } = await runConsole("first\n/quit\nnever sent\n");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("bot> [offline model] echo: first");
    expect(stdout).toContain("you> /quit");
    expect(stdout).not.toContain("never sent");
  });

  it("exits non-zero with a clear message when the webhook does not answer 2xx", async () => {
    const { code, stderr } = await runConsole("hello\n", { project: "demo-nosuch" });
    expect(code).toBe(1);
    expect(stderr).toMatch(/dev console: the webhook answered \d{3}/);
  });

  it("sums up a streamed answer's drafts in one line, then prints the answer once", async () => {
    const { code, stdout, stderr } = await runConsole("tell me a story [[long:1500]] [[drip:60]]\n");
    expect(code, `stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);
    const lines = stdout.split("\n");
    const summary = lines.findIndex((l) => /^bot is writing… \(\d+ draft frames?\)$/.test(l));
    expect(summary, stdout).toBeGreaterThan(lines.indexOf("you> tell me a story [[long:1500]] [[drip:60]]"));
    expect(Number(/\((\d+) draft/.exec(lines[summary]!)![1])).toBeGreaterThanOrEqual(1);
    // Exactly one answer, right after the summary; no draft is printed as a message.
    const answers = lines.filter((l) => l.startsWith("bot> "));
    expect(answers, stdout).toHaveLength(1);
    expect(lines[summary + 1]).toMatch(/^bot> \[offline model\] /);
    expect(stdout).not.toContain("bot (draft)>");
  });

  it("sends /stop while the answer before it is being written: the partial answer ends, marked stopped", async () => {
    // [[hold]]: the offline model writes its first words, then nothing more until it is stopped.
    const { code, stdout, stderr } = await runConsole("write forever [[hold]]\n/stop\n");
    expect(code, `stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);
    const lines = stdout.split("\n");
    const asked = lines.indexOf("you> write forever [[hold]]");
    const stop = lines.indexOf("you> /stop");
    expect(asked, stdout).toBeGreaterThan(-1);
    expect(stop, stdout).toBeGreaterThan(asked);
    const answers = lines.filter((l) => l.startsWith("bot> "));
    expect(answers, stdout).toHaveLength(1); // /stop itself says nothing more
    // The partial answer, then the stopped note in a paragraph of its own.
    const answer = lines.indexOf(answers[0]!);
    expect(answers[0]).toMatch(/^bot> \[offline model\] echo: write/);
    expect(lines.slice(answer + 1, answer + 3), stdout).toEqual(["     ", "     (stopped)"]);
    expect(answer).toBeGreaterThan(stop);
    expect(stdout).toMatch(/^bot is writing… \(\d+ draft frames?\)$/m);
  });

  it("names the emulators' log file, or with --logs (or DEV_LOGS=1) shows its lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dev-console-"));
    const log = join(dir, "dev-emulators.log");
    writeFileSync(log, 'i  functions: Beginning execution of "us-central1-telegramWebhook"\n');
    try {
      const quiet = await runConsole("/quit\n", { env: { DEV_LOG_FILE: log } });
      expect(quiet.code).toBe(0);
      expect(quiet.stdout).toMatch(/Logs: {5}the emulators' output goes to \S*dev-emulators\.log/);
      expect(quiet.stdout).not.toContain("Beginning execution");

      const shown = await runConsole("/quit\n", { args: ["--logs"], env: { DEV_LOG_FILE: log } });
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain(
        '  │ i  functions: Beginning execution of "us-central1-telegramWebhook"',
      );

      const byEnv = await runConsole("/quit\n", { env: { DEV_LOG_FILE: log, DEV_LOGS: "1" } });
      expect(byEnv.stdout).toContain("  │ i  functions: Beginning execution");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("dev console on a terminal", () => {
  const noErrors = (screen: string) => expect(screen).not.toMatch(/error|exception|\bat .+:\d+:\d+/i);

  it("chats, then /quit ends it cleanly", async () => {
    const { code, screen } = await runInTerminal([
      { after: "you> ", keys: "hello terminal\r" },
      { after: "bot> [offline model] echo: hello terminal", keys: "" },
      { after: "you> ", keys: "/quit\r" },
    ]);
    expect(code, screen).toBe(0);
    noErrors(screen);
  });

  it("redraws the draft in place as it grows, then shows the answer in its place", async () => {
    const { code, screen } = await runInTerminal([
      { after: "you> ", keys: "tell me a story [[long:1500]] [[drip:60]]\r" },
      { after: "bot> [offline model]", keys: "" },
      { after: "you> ", keys: "/quit\r" },
    ]);
    expect(code, screen).toBe(0);
    noErrors(screen);
    // The draft was drawn as it grew (the answer streams for seconds, a frame every 333 ms)…
    const drafts = new Set(
      screen
        .split("bot (draft)> ")
        .slice(1)
        .map((d) => d.split("\u001b[?7h")[0]),
    );
    expect(drafts.size, screen).toBeGreaterThanOrEqual(2);
    // …always over the same row: what the terminal shows in the end has no draft left,
    // and the answer once, right under the question (or the typing line).
    const rows = renderScreen(screen, COLUMNS);
    expect(
      rows.filter((r) => r.includes("bot (draft)>")),
      rows.join("\n"),
    ).toEqual([]);
    const answers = rows.flatMap((r, i) => (r.startsWith("bot> ") ? [i] : []));
    expect(answers, rows.join("\n")).toHaveLength(1);
    expect(rows[answers[0]!]).toMatch(/^bot> \[offline model\] \S/);
    expect(rows[answers[0]! - 1]).toMatch(/^(you> tell me a story|bot is typing…)/);
    // A draft line fits the terminal: one row, no wrapping.
    for (const draw of screen.split("bot (draft)> ").slice(1)) {
      const line = draw.split("\u001b[?7h")[0]!;
      expect(stripVTControlCharacters(line).length).toBeLessThan(COLUMNS - "bot (draft)> ".length);
    }
  });

  it("takes /stop while an answer is being written; the partial answer replaces the draft, marked stopped", async () => {
    const { code, screen } = await runInTerminal([
      { after: "you> ", keys: "write forever [[hold]]\r" },
      // The prompt is usable while the turn runs: /stop is typed under the live draft.
      { after: "bot (draft)> ", keys: "/stop\r" },
      { after: "(stopped)", keys: "" },
      { after: "you> ", keys: "/quit\r" },
    ]);
    expect(code, screen).toBe(0);
    noErrors(screen);
    const rows = renderScreen(screen, COLUMNS);
    const shown = rows.join("\n");
    const asked = rows.indexOf("you> write forever [[hold]]");
    const stop = rows.indexOf("you> /stop");
    expect(asked, shown).toBeGreaterThan(-1);
    expect(stop, shown).toBeGreaterThan(asked);
    const answers = rows.filter((r) => r.startsWith("bot> "));
    expect(answers, shown).toHaveLength(1);
    const answer = rows.indexOf(answers[0]!);
    expect(answers[0]).toMatch(/^bot> \[offline model\] echo: write/);
    expect(rows.slice(answer + 1, answer + 3), shown).toEqual(["", "     (stopped)"]);
    expect(answer).toBeGreaterThan(stop);
    expect(rows.filter((r) => r.includes("bot (draft)>"))).toEqual([]);
  });

  it.each([
    ["Ctrl-C", "\u0003"],
    ["Ctrl-D", "\u0004"],
  ])("%s at the prompt ends it cleanly", async (_name, key) => {
    const { code, screen } = await runInTerminal([{ after: "you> ", keys: key }]);
    expect(code, screen).toBe(0);
    noErrors(screen);
  });
});
