import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ANTHROPIC_PORT, PROJECT, TELEGRAM_PORT } from "../support/e2e.js";

const functionsDir = join(import.meta.dirname, "..", "..");

/** Runs the console as `npm run dev` does, but with piped stdin, until it exits. */
function runConsole(input: string, project = PROJECT) {
  // The demo-test function points at the ports the e2e fakes use; here the console
  // serves them itself (e2e files run one at a time and close their fakes).
  const args = ["scripts/dev-console.mjs", "--project", project, "--offline"];
  args.push("--telegram-port", String(TELEGRAM_PORT), "--anthropic-port", String(ANTHROPIC_PORT));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: functionsDir, stdio: ["pipe", "pipe", "pipe"] });
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

describe("dev console (npm run dev), driven through stdin", () => {
  it("sends each line as an Update, prints the bot's replies in order and exits 0 at EOF", async () => {
    const { code, stdout, stderr } = await runConsole("hello console\nwhat is (2+3)*4?\n/help\n");
    expect(code, `stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);
    expect(stdout).toContain("OFFLINE stand-in");
    expect(stdout).toContain("you> hello console");
    expect(stdout).toContain("bot is typing…");
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

  it("exits non-zero with a clear message when the webhook does not answer 2xx", async () => {
    const { code, stderr } = await runConsole("hello\n", "demo-nosuch");
    expect(code).toBe(1);
    expect(stderr).toMatch(/dev console: the webhook answered \d{3}/);
  });
});
