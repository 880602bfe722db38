// The clock arithmetic of a request, in one dependency-free module (index.ts reads it at load).
//
//   arrival                                   deadline          lease end     function timeout
//   |──── queue, state, model ────|── reply ──|                 |             |
//   0                      REQUEST_BUDGET_MS  270 s    +LEASE_MARGIN_MS 300 s  FUNCTION_TIMEOUT_S 300 s
//                  model stops at 240 s ──┘ (DELIVERY_RESERVE_MS kept for persisting and sending)
//
// One deadline per request, fixed when the request arrives. Every stage (waiting in the chat
// queue, Firestore calls, the model, persisting, sending) gets what is left of it; nothing
// sleeps or retries past it. A claim written by the request is leased until its deadline plus
// LEASE_MARGIN_MS, so no other instance takes a turn over while its owner may still act; the
// margin covers clock skew between instances and a Bot API call already on the wire. Firestore
// writes do not depend on the lease at all: each is fenced by the claim's update time.

/** The webhook function's timeout (index.ts). */
export const FUNCTION_TIMEOUT_S = 300;

/** From arrival to the last action of a request; below the function timeout. */
export const REQUEST_BUDGET_MS = 270_000;

/** Kept back from the model for persisting the reply and sending it. */
export const DELIVERY_RESERVE_MS = 30_000;

/** A claim outlives the deadline of the request that wrote it by this much. */
export const LEASE_MARGIN_MS = 30_000;

/** Per-call caps for Firestore (the client alone waits ~45 s on a dead endpoint). */
export const FIRESTORE_CALL_MS = { read: 4_000, commit: 8_000 } as const;

/** Time as the app sees it: injected, so tests drive it instead of sleeping. */
export interface Clock {
  now(): number;
  /** Runs `fn` after `ms` of this clock's time; returns a canceller. */
  schedule(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    timer.unref?.();
    return () => clearTimeout(timer);
  },
};

/** Why an AbortSignal from a Deadline fired (also what a timed-out stage throws). */
export class DeadlineExceededError extends Error {
  override readonly name = "DeadlineExceededError";
}

/** A fixed point in time that every stage of one request is bounded by. */
export class Deadline {
  private readonly signals = new Map<number, AbortSignal>();

  constructor(
    readonly clock: Clock,
    /** Epoch ms on `clock`. */
    readonly at: number,
  ) {}

  /** A deadline `ms` from now. */
  static after(clock: Clock, ms: number): Deadline {
    return new Deadline(clock, clock.now() + ms);
  }

  /** Milliseconds left before `at - reserveMs` (never negative). */
  remaining(reserveMs = 0): number {
    return Math.max(0, this.at - reserveMs - this.clock.now());
  }

  expired(reserveMs = 0): boolean {
    return this.remaining(reserveMs) === 0;
  }

  /** The lease for a claim written under this deadline (epoch ms). */
  leaseUntil(): number {
    return this.at + LEASE_MARGIN_MS;
  }

  /** Aborts at `at - reserveMs` (one signal per reserve, shared by every stage that asks). */
  signal(reserveMs = 0): AbortSignal {
    let signal = this.signals.get(reserveMs);
    if (!signal) {
      const controller = new AbortController();
      const fire = () => controller.abort(new DeadlineExceededError("request deadline exceeded"));
      const left = this.remaining(reserveMs);
      if (left === 0) fire();
      else this.clock.schedule(left, fire);
      signal = controller.signal;
      this.signals.set(reserveMs, signal);
    }
    return signal;
  }

  /** `op` bounded by min(capMs, what is left): rejects with `onExpiry()` when that runs out. */
  bound<T>(op: Promise<T>, capMs: number, onExpiry: () => Error): Promise<T> {
    const ms = Math.min(capMs, this.remaining());
    let cancel: (() => void) | undefined;
    const expired = new Promise<never>((_, reject) => {
      cancel = this.clock.schedule(ms, () => reject(onExpiry()));
    });
    op.catch(() => {}); // a late failure of an abandoned call is not unhandled
    return Promise.race([op, expired]).finally(() => cancel?.());
  }
}
