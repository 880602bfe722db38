// Timeouts that must agree with each other (no imports: index.ts reads it at load).
// A slow turn ends in words before the function is killed, so Telegram never sees a
// timeout and redelivers; a claim's lease outlives both, so a live turn is never
// taken over; a redelivery waits for a turn in flight at most as long as a turn lasts.

/** Budget of one turn (the model loop is aborted at this point). */
export const TURN_DEADLINE_MS = 240_000;

/** The webhook function's timeout (index.ts), above the turn deadline. */
export const FUNCTION_TIMEOUT_S = 300;

/** How long a claimed update belongs to the instance working on it. */
export const CLAIM_LEASE_MS = FUNCTION_TIMEOUT_S * 1000 + 30_000;
