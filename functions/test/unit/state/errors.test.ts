import { describe, expect, it } from "vitest";
import { GrpcCode, StoreError, toStoreError } from "../../../src/state/errors.js";

const grpc = (code: number, message = "same text for every code") =>
  Object.assign(new Error(message), { code });

describe("error classification by gRPC status", () => {
  it.each([
    [GrpcCode.UNAVAILABLE, "unavailable", true],
    [GrpcCode.DEADLINE_EXCEEDED, "unavailable", true],
    [GrpcCode.RESOURCE_EXHAUSTED, "unavailable", true],
    [GrpcCode.ABORTED, "conflict", true],
    [GrpcCode.NOT_FOUND, "not_found", false],
    [GrpcCode.PERMISSION_DENIED, "permission", false],
    [GrpcCode.INVALID_ARGUMENT, "invalid_argument", false],
    [GrpcCode.FAILED_PRECONDITION, "precondition", false],
    [GrpcCode.ALREADY_EXISTS, "precondition", false],
    [GrpcCode.INTERNAL, "internal", false],
  ])("code %i → %s (transient: %s)", (code, kind, transient) => {
    const e = toStoreError(grpc(code), "op");
    expect(e).toBeInstanceOf(StoreError);
    expect(e.kind).toBe(kind);
    expect(e.transient).toBe(transient);
    expect(e.code).toBe(code);
  });

  it("ignores message text entirely", () => {
    expect(toStoreError(new Error("UNAVAILABLE: not found, permission denied"), "op").kind).toBe("internal");
    expect(toStoreError(grpc(GrpcCode.NOT_FOUND, "unavailable"), "op").kind).toBe("not_found");
  });
});
