import pRetry from "p-retry";
import type { Metrics } from "../observability/metrics.js";
import { FencedError, lostRace, StoreError, toStoreError } from "./errors.js";
import type { Op } from "./op.js";

/** Attempts for one store operation: lost optimistic races are cheap, outages are not. */
export const MAX_ATTEMPTS = 12;
export const MAX_TRANSIENT_RETRIES = 2;
const MIN_DELAY_MS = 20;
const MAX_DELAY_MS = 1_000;

/**
 * The one retry level of a store operation. `attempt` is re-run when it loses an
 * optimistic race (it re-reads on the next attempt: `n > 0`) or fails transiently
 * (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, RESOURCE_EXHAUSTED; at most
 * MAX_TRANSIENT_RETRIES times), with capped exponential backoff and jitter, and
 * never past the request's deadline. Anything else is thrown at once, typed.
 * Firestore calls themselves are single attempts (DocIO), so retries never nest.
 */
export async function retrying<T>(
  what: string,
  op: Op,
  metrics: Metrics,
  attempt: (n: number) => Promise<T>,
  delays: { minMs: number; maxMs: number } = { minMs: MIN_DELAY_MS, maxMs: MAX_DELAY_MS },
): Promise<T> {
  let transient = 0;
  try {
    return await pRetry((n) => attempt(n - 1), {
      retries: MAX_ATTEMPTS - 1,
      minTimeout: delays.minMs,
      maxTimeout: delays.maxMs,
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => {
        if (op.deadline.remaining() <= delays.maxMs) return false;
        const e = toStoreError(error, what);
        if (lostRace(e)) return true;
        return e.transient && ++transient <= MAX_TRANSIENT_RETRIES;
      },
      onFailedAttempt: ({ error, attemptNumber }) => {
        const e = toStoreError(error, what);
        if (lostRace(e)) {
          metrics.inc("tx_conflicts");
          return;
        }
        if (!e.transient) return;
        metrics.inc("retries");
        op.log.warn({ what, attempt: attemptNumber, code: e.code, kind: e.kind }, "firestore retry");
      },
    });
  } catch (err) {
    if (err instanceof FencedError) throw err;
    const e = toStoreError(err, what);
    if (lostRace(e)) {
      // Out of attempts (or time) on a hot document: transient, so Telegram redelivers.
      throw new StoreError("conflict", `${what}: too much contention`, { transient: true, cause: e });
    }
    throw e;
  }
}
