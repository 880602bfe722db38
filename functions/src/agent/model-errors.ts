import Anthropic from "@anthropic-ai/sdk";

export type ModelFailure =
  | "rate_limited"
  | "overloaded"
  | "timeout"
  | "unavailable"
  | "misconfigured"
  | "rejected";

// What the user reads for each failure: short, human, no class names or API bodies.
export const MODEL_FAILURE_TEXT: Record<ModelFailure, string> = {
  rate_limited: "I'm getting too many requests right now. Please try again in a minute.",
  overloaded: "Claude is overloaded at the moment. Please try again in a little while.",
  timeout: "That took too long and I gave up. Please try again, perhaps with a shorter request.",
  unavailable: "I couldn't reach Claude just now. Please try again shortly.",
  misconfigured: "I'm not set up correctly to answer right now. The bot's operator has been told.",
  rejected: "I couldn't process that request. Try rephrasing it, or /reset to start fresh.",
};

/**
 * Classifies a model error by the SDK's typed errors and HTTP status (the SDK has
 * already retried 408/409/429/5xx/529 with backoff by the time this is called).
 * Returns null for errors that are not from the API: those are bugs and propagate.
 */
export function classifyModelError(err: unknown): ModelFailure | null {
  if (err instanceof Anthropic.APIConnectionTimeoutError) return "timeout";
  if (err instanceof Anthropic.APIConnectionError) return "unavailable";
  if (!(err instanceof Anthropic.APIError)) return null;
  const status = err.status ?? 0;
  if (status === 429) return "rate_limited";
  if (status === 529) return "overloaded";
  if (status === 401 || status === 403 || status === 404) return "misconfigured";
  if (status >= 500) return "unavailable";
  return "rejected";
}
