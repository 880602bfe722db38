import type { Logger } from "../observability/logger.js";

/**
 * List prices in USD per million tokens, one row per model, so a cost estimate never
 * depends on a family guess. Source: the Claude pricing page
 * (platform.claude.com/docs/en/about-claude/pricing, "Model pricing" table, read 2026):
 * base input, 5-minute cache writes (1.25× input), 1-hour cache writes (2× input),
 * cache hits (0.1× input) and output. Opus 4.5 and later are $5/$25; Opus 4 and 4.1
 * are still $15/$75; every Sonnet 4.x is $3/$15; Haiku 4.5 is $1/$5.
 */
export interface ModelPrice {
  /** Canonical id (the alias without a date). */
  id: string;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
}

const row = (id: string, input: number, output: number): ModelPrice => ({
  id,
  input,
  output,
  cacheRead: input * 0.1,
  cacheWrite5m: input * 1.25,
  cacheWrite1h: input * 2,
});

export const MODEL_PRICES: readonly ModelPrice[] = [
  row("claude-opus-4-7", 5, 25),
  row("claude-opus-4-6", 5, 25),
  row("claude-opus-4-5", 5, 25),
  row("claude-opus-4-1", 15, 75),
  row("claude-opus-4-0", 15, 75),
  row("claude-sonnet-4-6", 3, 15),
  row("claude-sonnet-4-5", 3, 15),
  row("claude-sonnet-4-0", 3, 15),
  row("claude-haiku-4-5", 1, 5),
];

/**
 * Web search is billed per search on top of tokens: $10 per 1,000 searches (web
 * search tool docs, "Usage and pricing"; the same figure on the pricing page's
 * "Web search tool" line).
 */
export const WEB_SEARCH_USD_PER_SEARCH = 10 / 1000;

const byId = new Map(MODEL_PRICES.map((p) => [p.id, p]));

/** The most expensive known model: what an unknown id is priced as, so spend is never under-counted. */
export const PRICIEST: ModelPrice = MODEL_PRICES.reduce((a, b) =>
  b.input + b.output > a.input + a.output ? b : a,
);

/**
 * Model id → canonical id. Dated ids name a snapshot of an alias
 * (`claude-opus-4-20250514` is Opus 4, `claude-sonnet-4-5-20250929` is Sonnet 4.5), and
 * the first 4.0 aliases had no minor version (`claude-opus-4`); matching exactly after
 * this normalisation means a dated Opus 4 id can never pick up a newer Opus's price.
 */
export function canonicalModelId(model: string): string {
  const undated = model.replace(/-\d{8}$/, "").replace(/-latest$/, "");
  return /^claude-(opus|sonnet|haiku)-\d+$/.test(undated) ? `${undated}-0` : undated;
}

const warned = new Set<string>();

/** Prices for a model id; an unknown id is priced as the priciest known model and logged at WARN once per process. */
export function priceFor(model: string, log?: Logger): ModelPrice {
  const price = byId.get(canonicalModelId(model));
  if (price) return price;
  if (log && !warned.has(model)) {
    warned.add(model);
    log.warn(
      { model, priced_as: PRICIEST.id },
      "unknown model id: cost estimated at the most expensive known model's prices",
    );
  }
  return PRICIEST;
}

/** Token counts as the Messages API reports them (input_tokens excludes cached tokens). */
export interface BilledUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** All cache writes; the 1-hour share (if any) is in cacheWrite1hTokens. */
  cacheWriteTokens: number;
  cacheWrite1hTokens?: number;
  webSearchRequests?: number;
}

/** Estimated USD for a model's usage, rounded to a millionth of a dollar. */
export function estimateCostUsd(model: string, u: BilledUsage, log?: Logger): number {
  const p = priceFor(model, log);
  const oneHour = Math.min(u.cacheWrite1hTokens ?? 0, u.cacheWriteTokens);
  const usd =
    (u.inputTokens * p.input +
      (u.cacheWriteTokens - oneHour) * p.cacheWrite5m +
      oneHour * p.cacheWrite1h +
      u.cacheReadTokens * p.cacheRead +
      u.outputTokens * p.output) /
      1_000_000 +
    (u.webSearchRequests ?? 0) * WEB_SEARCH_USD_PER_SEARCH;
  return Math.round(usd * 1e6) / 1e6;
}

/**
 * What prompt caching saved on a model's usage: the cached tokens (read or written) at
 * the full input price, minus what was paid for them (reads 0.1×, 5-minute writes 1.25×,
 * 1-hour writes 2×). Negative when writes outweigh reads: a prefix written and never read
 * again costs more than no caching. Rounded to a millionth of a dollar.
 */
export function cacheSavingsUsd(model: string, u: BilledUsage, log?: Logger): number {
  const p = priceFor(model, log);
  const oneHour = Math.min(u.cacheWrite1hTokens ?? 0, u.cacheWriteTokens);
  const full = (u.cacheReadTokens + u.cacheWriteTokens) * p.input;
  const paid =
    u.cacheReadTokens * p.cacheRead +
    (u.cacheWriteTokens - oneHour) * p.cacheWrite5m +
    oneHour * p.cacheWrite1h;
  return Math.round(((full - paid) / 1_000_000) * 1e6) / 1e6;
}

/** Prices a turn's usage in place: its estimated cost and what caching saved. */
export function priceUsage(
  model: string,
  u: BilledUsage & { costUsd: number; cacheSavedUsd: number },
  log?: Logger,
): void {
  u.costUsd = estimateCostUsd(model, u, log);
  u.cacheSavedUsd = cacheSavingsUsd(model, u);
}
