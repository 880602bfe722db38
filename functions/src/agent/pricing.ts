import type { Usage } from "../state/schemas.js";

// USD per million tokens, by model family (public list prices). Used for the
// per-user cost estimate ops reads; an unknown model is priced as Sonnet.
const PRICES: { prefix: string; input: number; output: number }[] = [
  { prefix: "claude-opus-4-1", input: 15, output: 75 },
  { prefix: "claude-opus-4-0", input: 15, output: 75 },
  { prefix: "claude-opus", input: 5, output: 25 },
  { prefix: "claude-haiku", input: 1, output: 5 },
  { prefix: "claude-sonnet", input: 3, output: 15 },
];

/** Cache writes cost 1.25x input, cache reads 0.1x input (5-minute cache). */
export function estimateCostUsd(model: string, u: Omit<Usage, "costUsd" | "messages">): number {
  const p = PRICES.find((x) => model.startsWith(x.prefix)) ?? PRICES.at(-1)!;
  const usd =
    (u.inputTokens * p.input +
      u.cacheWriteTokens * p.input * 1.25 +
      u.cacheReadTokens * p.input * 0.1 +
      u.outputTokens * p.output) /
    1_000_000;
  return Math.round(usd * 1e6) / 1e6;
}
