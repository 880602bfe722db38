import { describe, expect, it } from "vitest";
import { Metrics } from "../../../src/observability/metrics.js";
import { GrpcCode, StoreError } from "../../../src/state/errors.js";
import { withRetry } from "../../../src/state/retry.js";

const grpc = (code: number) => Object.assign(new Error("x"), { code });

describe("withRetry", () => {
  const policy = { retries: 3, minDelayMs: 1, maxDelayMs: 5 };

  it("retries transient failures with backoff, then succeeds", async () => {
    const metrics = new Metrics();
    let calls = 0;
    const result = await withRetry(
      "op",
      async () => {
        if (++calls < 3) throw grpc(GrpcCode.UNAVAILABLE);
        return "ok";
      },
      { metrics, policy },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
    expect(metrics.get("retries")).toBe(2);
  });

  it("does not retry permission or invalid-argument errors", async () => {
    for (const code of [
      GrpcCode.PERMISSION_DENIED,
      GrpcCode.INVALID_ARGUMENT,
      GrpcCode.FAILED_PRECONDITION,
    ]) {
      let calls = 0;
      const err = await withRetry(
        "op",
        async () => {
          calls++;
          throw grpc(code);
        },
        { metrics: new Metrics(), policy },
      ).catch((e: unknown) => e);
      expect(calls).toBe(1);
      expect((err as StoreError).code).toBe(code);
    }
  });

  it("gives up after the retry budget with the typed error (nothing swallowed)", async () => {
    let calls = 0;
    const err = await withRetry(
      "op",
      async () => {
        calls++;
        throw grpc(GrpcCode.DEADLINE_EXCEEDED);
      },
      { metrics: new Metrics(), policy },
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).transient).toBe(true);
  });
});
