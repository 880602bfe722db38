import { describe, expect, it } from "vitest";
import {
  cacheSavingsUsd,
  canonicalModelId,
  estimateCostUsd,
  MODEL_PRICES,
  PRICIEST,
  priceFor,
  priceUsage,
  WEB_SEARCH_USD_PER_SEARCH,
} from "../../../src/agent/pricing.js";
import { captureLogs } from "../../support/logs.js";

const million = { inputTokens: 1e6, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

describe("pricing", () => {
  it.each([
    ["claude-opus-4-7", 5, 25],
    ["claude-opus-4-6", 5, 25],
    ["claude-opus-4-5-20251101", 5, 25],
    ["claude-opus-4-1-20250805", 15, 75],
    ["claude-opus-4-20250514", 15, 75], // Opus 4, not a newer Opus
    ["claude-opus-4-0", 15, 75],
    ["claude-sonnet-4-6", 3, 15],
    ["claude-sonnet-4-5-20250929", 3, 15],
    ["claude-sonnet-4-20250514", 3, 15],
    ["claude-haiku-4-5-20251001", 1, 5],
    ["claude-haiku-4-5", 1, 5],
  ])("%s costs $%d / $%d per MTok", (model, input, output) => {
    expect(priceFor(model)).toMatchObject({ input, output });
  });

  it("canonical ids drop the date and name the first 4.0 aliases", () => {
    expect(canonicalModelId("claude-opus-4-20250514")).toBe("claude-opus-4-0");
    expect(canonicalModelId("claude-sonnet-4-5-20250929")).toBe("claude-sonnet-4-5");
    expect(canonicalModelId("claude-opus-4-7")).toBe("claude-opus-4-7");
  });

  it("cache reads 0.1×, 5-minute writes 1.25×, 1-hour writes 2× the input price", () => {
    for (const p of MODEL_PRICES) {
      expect(p.cacheRead).toBeCloseTo(p.input * 0.1, 10);
      expect(p.cacheWrite5m).toBeCloseTo(p.input * 1.25, 10);
      expect(p.cacheWrite1h).toBeCloseTo(p.input * 2, 10);
    }
    const cost = estimateCostUsd("claude-sonnet-4-6", {
      inputTokens: 1e6,
      outputTokens: 1e6,
      cacheReadTokens: 1e6,
      cacheWriteTokens: 2e6,
      cacheWrite1hTokens: 1e6,
    });
    expect(cost).toBeCloseTo(3 + 15 + 0.3 + 3.75 + 6, 6);
    expect(estimateCostUsd("claude-haiku-4-5", million)).toBe(1);
  });

  it("web searches cost $10 per 1,000 on top of tokens", () => {
    expect(WEB_SEARCH_USD_PER_SEARCH).toBe(0.01);
    expect(estimateCostUsd("claude-haiku-4-5", { ...million, webSearchRequests: 3 })).toBeCloseTo(1.03, 6);
  });

  it("an unknown model is priced as the most expensive known one and logged at WARN once", () => {
    const { log, lines } = captureLogs();
    expect(PRICIEST).toMatchObject({ input: 15, output: 75 });
    expect(estimateCostUsd("claude-mystery-9", million, log)).toBe(15);
    expect(estimateCostUsd("claude-mystery-9", million, log)).toBe(15);
    const warns = lines.filter((l) => l.severity === "WARNING");
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ model: "claude-mystery-9", priced_as: PRICIEST.id });
  });
});

describe("what prompt caching saved", () => {
  it("cached tokens at the full input price minus what was paid: reads save 0.9×, writes cost 0.25× more", () => {
    const none = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(cacheSavingsUsd("claude-sonnet-4-6", { ...none, cacheReadTokens: 1e6 })).toBeCloseTo(2.7, 6);
    expect(cacheSavingsUsd("claude-sonnet-4-6", { ...none, cacheWriteTokens: 1e6 })).toBeCloseTo(-0.75, 6);
    expect(
      cacheSavingsUsd("claude-haiku-4-5", { ...none, cacheWriteTokens: 1e6, cacheWrite1hTokens: 1e6 }),
    ).toBeCloseTo(-1, 6);
    // Input and output tokens are never cached: they save nothing.
    expect(cacheSavingsUsd("claude-sonnet-4-6", million)).toBe(0);
  });

  it("priceUsage sets cost and savings together, so cost + savings = the price without caching", () => {
    const u = {
      inputTokens: 500,
      outputTokens: 300,
      cacheReadTokens: 9_000,
      cacheWriteTokens: 1_200,
      costUsd: 0,
      cacheSavedUsd: 0,
    };
    priceUsage("claude-sonnet-4-6", u);
    const uncached = estimateCostUsd("claude-sonnet-4-6", {
      inputTokens: 500 + 9_000 + 1_200,
      outputTokens: 300,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    expect(u.costUsd + u.cacheSavedUsd).toBeCloseTo(uncached, 6);
    expect(u.cacheSavedUsd).toBeGreaterThan(0);
  });
});
