import { describe, expect, it } from "vitest";
import {
  DELIVERY_RESERVE_MS,
  Deadline,
  DeadlineExceededError,
  FUNCTION_TIMEOUT_S,
  LEASE_MARGIN_MS,
  REQUEST_BUDGET_MS,
} from "../../src/timeouts.js";
import { ManualClock } from "../support/clock.js";

describe("the clock arithmetic of a request (timeouts.ts)", () => {
  it("the deadline ends before the function is killed; the lease outlives the deadline", () => {
    expect(REQUEST_BUDGET_MS).toBeLessThan(FUNCTION_TIMEOUT_S * 1000);
    expect(REQUEST_BUDGET_MS + LEASE_MARGIN_MS).toBeLessThanOrEqual(FUNCTION_TIMEOUT_S * 1000);
    expect(LEASE_MARGIN_MS).toBeGreaterThan(0);
    expect(DELIVERY_RESERVE_MS).toBeLessThan(REQUEST_BUDGET_MS);
    const clock = new ManualClock();
    const d = Deadline.after(clock, REQUEST_BUDGET_MS);
    expect(d.leaseUntil() - d.at).toBe(LEASE_MARGIN_MS);
  });

  it("every stage gets what is left; a reserve holds time back for later stages", () => {
    const clock = new ManualClock();
    const d = Deadline.after(clock, 10_000);
    expect(d.remaining()).toBe(10_000);
    clock.advance(4_000);
    expect(d.remaining()).toBe(6_000);
    expect(d.remaining(5_000)).toBe(1_000);
    expect(d.expired(5_000)).toBe(false);
    clock.advance(1_000);
    expect(d.expired(5_000)).toBe(true);
    expect(d.remaining(5_000)).toBe(0);
    clock.advance(10_000);
    expect(d.remaining()).toBe(0);
  });

  it("signals fire exactly at the deadline (minus the reserve), on the injected clock", () => {
    const clock = new ManualClock();
    const d = Deadline.after(clock, 10_000);
    const model = d.signal(3_000);
    const whole = d.signal();
    expect(d.signal()).toBe(whole); // one signal per reserve, shared
    clock.advance(6_999);
    expect(model.aborted).toBe(false);
    clock.advance(1);
    expect(model.aborted).toBe(true);
    expect(model.reason).toBeInstanceOf(DeadlineExceededError);
    expect(whole.aborted).toBe(false);
    clock.advance(3_000);
    expect(whole.aborted).toBe(true);
    // Asked for after the fact: already aborted.
    expect(d.signal(1).aborted).toBe(true);
  });

  it("bound() gives a call min(its cap, what is left), then rejects with the given error", async () => {
    const clock = new ManualClock();
    const d = Deadline.after(clock, 1_000);
    const never = new Promise<never>(() => {});
    const bounded = d.bound(never, 5_000, () => new Error("out of time"));
    clock.advance(999);
    let settled = false;
    void bounded.catch(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.advance(1);
    await expect(bounded).rejects.toThrow("out of time");
    // A call that finishes first is not affected, and its timer is cleared.
    const fast = Deadline.after(clock, 1_000).bound(Promise.resolve(7), 100, () => new Error("no"));
    expect(await fast).toBe(7);
    expect(clock.pending).toBe(0);
  });
});
