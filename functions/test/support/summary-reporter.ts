import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

// CI reads a plain closing line `N passed, N failed`; vitest's own summary is not read.
// Each failure is also named on one `FAILED …` line, which .ci/run repeats after the
// emulators' shutdown output so a red run says what failed in its last lines.
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let skipped = 0;
    const failures: string[] = [];
    for (const mod of testModules) {
      const file = relative(process.cwd(), mod.moduleId);
      for (const test of mod.children.allTests()) {
        const result = test.result();
        if (result.state === "passed") passed++;
        else if (result.state === "failed")
          failures.push(`${file} > ${test.fullName}: ${firstLine(result.errors?.[0]?.message)}`);
        else skipped++;
      }
      if (mod.state() === "failed" && mod.children.size === 0) {
        failures.push(`${file}: ${firstLine(mod.errors()[0]?.message)}`);
      }
    }
    const lines = failures.map((f) => `FAILED ${f}\n`).join("");
    process.stdout.write(
      `\n${lines}${passed} passed, ${failures.length} failed${skipped ? `, ${skipped} skipped` : ""}\n`,
    );
  }
}

function firstLine(message: string | undefined): string {
  return (message ?? "no error message").split("\n", 1)[0]!.slice(0, 300);
}
