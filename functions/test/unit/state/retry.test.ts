import { describe, expect, it } from "vitest";
import { Metrics } from "../../../src/observability/metrics.js";
import { FencedError, GrpcCode, StoreError } from "../../../src/state/errors.js";
import { MAX_ATTEMPTS, MAX_TRANSIENT_RETRIES, retrying } from "../../../src/state/retry.js";
import { Deadline } from "../../../src/timeouts.js";
import { ManualClock } from "../../support/clock.js";
import { captureLogs } from "../../support/logs.js";

const grpc = (code: number) => Object.assign(new Error("x"), { code });

function op(budgetMs = 60_000) {
  const { log, lines } = captureLogs();
  return { op: { log, deadline: Deadline.after(new ManualClock(), budgetMs) }, lines };
}

describe("retrying (the one retry level of a store operation)", () => {
  it("retries transient failures with backoff, then succeeds; the WARN carries the op's logger", async () => {
    const metrics = new Metrics();
    const { op: o, lines } = op();
    let calls = 0;
    const result = await retrying("op", o, metrics, async () => {
      if (++calls < 3) throw grpc(GrpcCode.UNAVAILABLE);
      return "ok";
    });
    expect(result).toBe("ok");
    expect(calls).toBe(3);
    expect(metrics.get("retries")).toBe(2);
    expect(lines.filter((l) => l.message === "firestore retry")).toHaveLength(2);
  });

  it("does not retry permission or invalid-argument errors", async () => {
    for (const code of [GrpcCode.PERMISSION_DENIED, GrpcCode.INVALID_ARGUMENT]) {
      let calls = 0;
      const err = await retrying("op", op().op, new Metrics(), async () => {
        calls++;
        throw grpc(code);
      }).catch((e: unknown) => e);
      expect(calls).toBe(1);
      expect((err as StoreError).code).toBe(code);
    }
  });

  it("gives up after the transient budget with the typed error (nothing swallowed)", async () => {
    let calls = 0;
    const err = await retrying("op", op().op, new Metrics(), async () => {
      calls++;
      throw grpc(GrpcCode.DEADLINE_EXCEEDED);
    }).catch((e: unknown) => e);
    expect(calls).toBe(1 + MAX_TRANSIENT_RETRIES);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).transient).toBe(true);
  });

  it("re-runs lost races with the attempt number; past MAX_ATTEMPTS it is a transient conflict", async () => {
    const metrics = new Metrics();
    const seen: number[] = [];
    const err = await retrying(
      "op",
      op().op,
      metrics,
      async (n) => {
        seen.push(n);
        throw grpc(GrpcCode.FAILED_PRECONDITION);
      },
      { minMs: 1, maxMs: 2 },
    ).catch((e: unknown) => e);
    expect(seen).toEqual(Array.from({ length: MAX_ATTEMPTS }, (_, i) => i));
    expect(metrics.get("tx_conflicts")).toBe(MAX_ATTEMPTS);
    expect(err).toMatchObject({ kind: "conflict", transient: true });
  });

  it("never retries past the request's deadline", async () => {
    let calls = 0;
    // Less time left than the longest backoff: no retry at all.
    await retrying("op", op(500).op, new Metrics(), async () => {
      calls++;
      throw grpc(GrpcCode.UNAVAILABLE);
    }).catch(() => {});
    expect(calls).toBe(1);
  });

  it("a fenced instance stops at once: FencedError passes through untouched", async () => {
    let calls = 0;
    const err = await retrying("op", op().op, new Metrics(), async () => {
      calls++;
      throw new FencedError(1, "processing");
    }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(FencedError);
  });
});
