// Typed store errors, classified by gRPC status code (never by message text).
// Callers branch on `kind` / `transient`, the way grammY's GrammyError carries data.

export type StoreErrorKind =
  | "not_found"
  | "unavailable"
  | "conflict"
  | "precondition"
  | "invalid_data"
  | "permission"
  | "invalid_argument"
  | "internal";

/** gRPC status codes (google.rpc.Code). */
export const GrpcCode = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

// The classification table: the variation lives in data, not in branches.
const BY_CODE: Record<number, { kind: StoreErrorKind; transient: boolean }> = {
  [GrpcCode.UNAVAILABLE]: { kind: "unavailable", transient: true },
  [GrpcCode.DEADLINE_EXCEEDED]: { kind: "unavailable", transient: true },
  [GrpcCode.RESOURCE_EXHAUSTED]: { kind: "unavailable", transient: true },
  [GrpcCode.ABORTED]: { kind: "conflict", transient: true },
  // A lost optimistic race (lastUpdateTime / exists precondition): the caller re-reads.
  [GrpcCode.FAILED_PRECONDITION]: { kind: "precondition", transient: false },
  [GrpcCode.ALREADY_EXISTS]: { kind: "precondition", transient: false },
  [GrpcCode.NOT_FOUND]: { kind: "not_found", transient: false },
  [GrpcCode.PERMISSION_DENIED]: { kind: "permission", transient: false },
  [GrpcCode.UNAUTHENTICATED]: { kind: "permission", transient: false },
  [GrpcCode.INVALID_ARGUMENT]: { kind: "invalid_argument", transient: false },
  [GrpcCode.OUT_OF_RANGE]: { kind: "invalid_argument", transient: false },
};

export class StoreError extends Error {
  override readonly name: string = "StoreError";
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    readonly options: { code?: number | undefined; transient?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }
  get code(): number | undefined {
    return this.options.code;
  }
  get transient(): boolean {
    return this.options.transient ?? false;
  }
}

/** A stored document failed schema validation. */
export class InvalidDataError extends StoreError {
  override readonly name = "InvalidDataError";
  constructor(
    readonly path: string,
    readonly issues: string[],
  ) {
    super("invalid_data", `document ${path} failed validation: ${issues.join("; ")}`);
  }
}

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** Wraps any error thrown by the Firestore client in a StoreError, by status code. */
export function toStoreError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = grpcCode(err);
  const entry = code === undefined ? undefined : BY_CODE[code];
  return new StoreError(entry?.kind ?? "internal", `${what} failed`, {
    code,
    transient: entry?.transient ?? false,
    cause: err,
  });
}

/**
 * A commit lost an optimistic race: a lastUpdateTime or create precondition
 * failed, or a document it updates is gone. The caller re-reads and decides.
 */
export function lostRace(err: unknown): boolean {
  return err instanceof StoreError && (err.kind === "precondition" || err.kind === "not_found");
}

/** A fenced write found the claim owned by someone else: this instance must stop. */
export class FencedError extends Error {
  override readonly name = "FencedError";
  constructor(
    readonly updateId: number,
    readonly state: string | null,
  ) {
    super(`update ${updateId}: the claim is no longer ours (now ${state ?? "absent"})`);
  }
}
