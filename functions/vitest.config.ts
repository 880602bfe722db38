import { defineConfig } from "vitest/config";

// Three projects: unit (pure logic, no Java needed), integration (real Firestore
// emulator) and e2e (functions emulator + loopback Bot API / Anthropic fakes).
// `npm test` runs all three inside one `firebase emulators:exec`.
export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          // Timeouts here detect hangs; they are not speed checks (the bench is). Image and PDF
          // work takes 1-2 s idle and several times that on a loaded 2-core CI machine.
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/support/e2e-global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One fake Bot API / Anthropic pair on fixed ports for the emulator.
          fileParallelism: false,
        },
      },
    ],
  },
});
