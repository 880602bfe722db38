import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { classifyModelError, MODEL_FAILURE_TEXT } from "../../../src/agent/model-errors.js";
import { estimateCostUsd } from "../../../src/agent/pricing.js";
import { evaluate } from "../../../src/agent/tools/calculator.js";
import { currentTime } from "../../../src/agent/tools/current-time.js";
import { ToolInputError } from "../../../src/agent/tools/tool.js";
import { captureLogs } from "../../support/logs.js";

describe("calculator", () => {
  it.each([
    ["1+2*3", 7],
    ["(1+2)*3", 9],
    ["2^3^2", 512],
    ["-4+10/4", -1.5],
    ["7 % 4", 3],
    ["1.5e3 - 1", 1499],
  ])("%s = %d", (expr, value) => expect(evaluate(expr)).toBe(value));

  it.each(["", "2+", "process.exit()", "1/0", "(1", "9".repeat(400)])("rejects %s", (expr) => {
    expect(() => evaluate(expr)).toThrow(ToolInputError);
  });
});

describe("current_time", () => {
  const ctx = { now: () => new Date("2026-01-02T03:04:05Z"), log: captureLogs().log } as never;
  it("formats the time in a zone", async () => {
    expect(await currentTime.run({ timezone: "Asia/Tokyo" }, ctx)).toContain("12:04:05");
  });
  it("rejects an unknown zone with a helpful message", async () => {
    await expect(currentTime.run({ timezone: "Mars/Olympus" }, ctx)).rejects.toBeInstanceOf(ToolInputError);
  });
});

describe("model error classification", () => {
  const apiError = (status: number) =>
    Anthropic.APIError.generate(status, { error: { type: "x" } }, "m", new Headers());
  it.each([
    [429, "rate_limited"],
    [529, "overloaded"],
    [500, "unavailable"],
    [401, "misconfigured"],
    [400, "rejected"],
  ])("HTTP %i → %s", (status, kind) => expect(classifyModelError(apiError(status))).toBe(kind));

  it("timeouts and connection errors", () => {
    expect(classifyModelError(new Anthropic.APIConnectionTimeoutError())).toBe("timeout");
    expect(classifyModelError(new Anthropic.APIConnectionError({ message: "x" }))).toBe("unavailable");
    expect(classifyModelError(new TypeError("bug"))).toBeNull();
  });

  it("user texts carry no internals", () => {
    for (const t of Object.values(MODEL_FAILURE_TEXT)) expect(t).not.toMatch(/Error|\d{3}|\{/);
  });
});

describe("pricing", () => {
  it("prices Sonnet input, output and cache tokens", () => {
    const cost = estimateCostUsd("claude-sonnet-4-6", {
      inputTokens: 1_000_000,
      outputTokens: 1_000_000,
      cacheReadTokens: 1_000_000,
      cacheWriteTokens: 0,
    });
    expect(cost).toBeCloseTo(3 + 15 + 0.3, 6);
    expect(
      estimateCostUsd("claude-haiku-4-5", {
        inputTokens: 1e6,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
      }),
    ).toBe(1);
  });
});
