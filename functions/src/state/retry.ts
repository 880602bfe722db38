import pRetry from "p-retry";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { toStoreError } from "./errors.js";

export interface RetryPolicy {
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
}

// Few attempts: each may wait a full deadline, and a webhook that gives up early
// (503) is redelivered by Telegram anyway.
export const DEFAULT_RETRY: RetryPolicy = { retries: 2, minDelayMs: 50, maxDelayMs: 1_000 };

/**
 * Runs a Firestore operation, retrying transient failures (UNAVAILABLE,
 * DEADLINE_EXCEEDED, ABORTED, RESOURCE_EXHAUSTED) with capped exponential backoff
 * and jitter. Everything else is thrown at once as a typed StoreError.
 */
export function withRetry<T>(
  what: string,
  fn: () => Promise<T>,
  deps: { metrics: Metrics; log?: Logger | undefined; policy?: RetryPolicy | undefined },
): Promise<T> {
  const policy = deps.policy ?? DEFAULT_RETRY;
  return pRetry(
    async () => {
      try {
        return await fn();
      } catch (err) {
        throw toStoreError(err, what);
      }
    },
    {
      retries: policy.retries,
      minTimeout: policy.minDelayMs,
      maxTimeout: policy.maxDelayMs,
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => toStoreError(error, what).transient,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        const e = toStoreError(error, what);
        if (!e.transient || retriesLeft === 0) return;
        deps.metrics.inc("retries");
        deps.log?.warn({ what, attempt: attemptNumber, code: e.code, kind: e.kind }, "firestore retry");
      },
    },
  );
}
