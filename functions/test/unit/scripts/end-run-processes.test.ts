import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

// scripts/end-run-processes.sh is with-emulators.sh's clean-up: it ends the processes
// whose environment carries the run's private TMPDIR. Real processes, no emulator.
// Linux only (it reads /proc/<pid>/environ), like the machines the runner cleans.

const run = promisify(execFile);
const script = join(import.meta.dirname, "..", "..", "..", "scripts", "end-run-processes.sh");
const children: ChildProcess[] = [];

/** A node process that says "ready" once its signal handlers are in place, then idles. */
async function idleProcess(env: NodeJS.ProcessEnv, code = "") {
  const child = spawn(
    process.execPath,
    ["-e", `${code}; process.stdout.write("ready"); setInterval(() => {}, 60000);`],
    { env, stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once("exit", (_c, signal) => resolve(signal)),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", () => reject(new Error("process ended before it was ready")));
  });
  return { child, exited };
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

describe.runIf(process.platform === "linux")("end-run-processes.sh", () => {
  it("ends every process of the run, also one that ignores SIGTERM or has a large environment, and nothing else", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tg-agent-test-run."));
    const otherDir = mkdtempSync(join(tmpdir(), "tg-agent-other-run."));
    try {
      const base = { PATH: process.env.PATH ?? "" };
      // TMPDIR first and a large variable after it: the environment the old
      // `tr | grep -q` check under pipefail missed about one time in fifteen.
      const big = { TMPDIR: runDir, ...base, FILLER: "x".repeat(20_000) };
      const plain = await Promise.all(Array.from({ length: 8 }, () => idleProcess(big)));
      // Like a functions worker whose app handles SIGTERM (finish background work) and stays.
      const stubborn = await idleProcess({ TMPDIR: runDir, ...base }, 'process.on("SIGTERM", () => {})');
      const bystander = await idleProcess({ TMPDIR: otherDir, ...base });

      const out = await run("bash", [script, runDir], { env: { ...process.env, TMPDIR: runDir } });
      // Silent: no "Permission denied" per kernel thread.
      expect(out.stderr).toBe("");
      expect(await Promise.all(plain.map((p) => p.exited))).toEqual(plain.map(() => "SIGTERM"));
      expect(await stubborn.exited).toBe("SIGKILL");
      expect(bystander.child.exitCode).toBeNull();
      expect(bystander.child.signalCode).toBeNull();
    } finally {
      rmSync(runDir, { recursive: true, force: true });
      rmSync(otherDir, { recursive: true, force: true });
    }
    // The stubborn process takes the script's 3 s grace before SIGKILL.
  }, 30_000);

  it("succeeds quietly when nothing of the run is left", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tg-agent-test-run."));
    try {
      const out = await run("bash", [script, runDir]);
      expect(out).toEqual({ stdout: "", stderr: "" });
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
