import { describe, expect, it } from "vitest";
import { currentTime } from "../../../../src/agent/tools/current-time.js";
import { ToolInputError } from "../../../../src/agent/tools/tool.js";
import { captureLogs } from "../../../support/logs.js";

describe("current_time", () => {
  const ctx = { now: () => new Date("2026-01-02T03:04:05Z"), log: captureLogs().log } as never;
  it("formats the time in a zone", async () => {
    expect(await currentTime.run({ timezone: "Asia/Tokyo" }, ctx)).toContain("12:04:05");
  });
  it("rejects an unknown zone with a helpful message", async () => {
    await expect(currentTime.run({ timezone: "Mars/Olympus" }, ctx)).rejects.toBeInstanceOf(ToolInputError);
  });
});
