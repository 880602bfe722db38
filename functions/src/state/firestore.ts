import {
  type DocumentReference,
  type DocumentSnapshot,
  Firestore,
  type Precondition,
  type WriteBatch,
  type WriteResult,
} from "@google-cloud/firestore";
import type { z } from "zod";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { FIRESTORE_CALL_MS } from "../timeouts.js";
import type { Versioned } from "./cache.js";
import { GrpcCode, InvalidDataError, StoreError, toStoreError } from "./errors.js";
import { jsonBytes } from "./history.js";
import type { Op } from "./op.js";

export const COLLECTIONS = [
  "sessions",
  "conversations",
  "skills",
  "updates",
  "notes",
  "metrics",
  "albums",
  "stops",
] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

/** Collection names behind COLLECTION_PREFIX (e.g. "staging_" → "staging_sessions"). */
export function collectionNames(prefix: string): Record<CollectionName, string> {
  return Object.fromEntries(COLLECTIONS.map((c) => [c, `${prefix}${c}`])) as Record<CollectionName, string>;
}

/** One Firestore client, created on first use (not at import: cold start stays small). */
export function lazyFirestore(create: () => Firestore = () => new Firestore()): () => Firestore {
  let db: Firestore | undefined;
  return () => {
    if (!db) {
      db = create();
      // Optional fields are simply left out of stored documents.
      db.settings({ ignoreUndefinedProperties: true });
    }
    return db;
  };
}

export interface DocIODeps {
  db: () => Firestore;
  names: Record<CollectionName, string>;
  metrics: Metrics;
  /** Per-call caps; each call also ends with the request's deadline. */
  callMs?: { read: number; commit: number } | undefined;
}

/**
 * The writes of one atomic commit. Each method returns the write's index, so the
 * caller can find its document's new update time among the commit's results.
 */
export class Writes {
  private count = 0;
  constructor(readonly batch: WriteBatch) {}

  create(ref: DocumentReference, data: Record<string, unknown>): number {
    this.batch.create(ref, data);
    return this.count++;
  }

  update(ref: DocumentReference, data: Record<string, unknown>, pre: Precondition): number {
    this.batch.update(ref, data, pre);
    return this.count++;
  }

  /** Field-path updates (`FieldPath` keys), for maps keyed by ids. */
  updatePaths(ref: DocumentReference, pairs: unknown[], pre: Precondition): number {
    const [first, firstValue, ...rest] = pairs;
    this.batch.update(ref, first as string, firstValue, ...rest, pre);
    return this.count++;
  }

  merge(ref: DocumentReference, data: Record<string, unknown>): number {
    this.batch.set(ref, data, { merge: true });
    return this.count++;
  }

  set(ref: DocumentReference, data: Record<string, unknown>): number {
    this.batch.set(ref, data);
    return this.count++;
  }

  get size(): number {
    return this.count;
  }
}

/**
 * The Firestore edge of the state layer: validated reads and counted, atomic
 * commits. Every read and write in the project goes through here, so the
 * Firestore counters are exact. Each call is one attempt bounded by the
 * request's deadline (retries live one level up, in the stores); a call that
 * runs out of time is abandoned with a transient DEADLINE_EXCEEDED, and an
 * abandoned commit may still land: the stores resolve that by re-reading
 * (claims carry an owner token for exactly this).
 */
export class DocIO {
  constructor(readonly deps: DocIODeps) {}

  ref(collection: CollectionName, id: string | number): DocumentReference {
    return this.deps.db().collection(this.deps.names[collection]).doc(String(id));
  }

  /**
   * Parses a snapshot. A document that fails validation is logged at WARN and
   * treated as absent-but-present (its updateTime is kept so the next write
   * replaces it under the usual precondition): the turn goes on, the data resets.
   */
  parse<T>(snap: DocumentSnapshot, schema: z.ZodType<T>, log: Logger): { doc: Versioned<T>; bytes: number } {
    if (!snap.exists) return { doc: { value: null, updateTime: null, exists: false }, bytes: 64 };
    const data = snap.data();
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const err = new InvalidDataError(
        snap.ref.path,
        parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`),
      );
      log.warn({ err, path: snap.ref.path, kind: err.kind }, "invalid document reset");
      return { doc: { value: null, updateTime: snap.updateTime ?? null, exists: true }, bytes: 64 };
    }
    return {
      doc: { value: parsed.data, updateTime: snap.updateTime ?? null, exists: true },
      bytes: jsonBytes(data),
    };
  }

  private callMs(kind: "read" | "commit"): number {
    return (this.deps.callMs ?? FIRESTORE_CALL_MS)[kind];
  }

  /** One call, bounded by min(per-call cap, what is left of the request); errors typed. */
  private async call<T>(what: string, kind: "read" | "commit", op: Op, run: () => Promise<T>): Promise<T> {
    const expired = () =>
      new StoreError("unavailable", `${what}: out of time`, {
        code: GrpcCode.DEADLINE_EXCEEDED,
        transient: true,
      });
    if (op.deadline.expired()) throw expired();
    try {
      return await op.deadline.bound(run(), this.callMs(kind), expired);
    } catch (err) {
      throw toStoreError(err, what);
    }
  }

  private countReads(snaps: readonly { exists: boolean }[], op: Op): void {
    const found = snaps.filter((s) => s.exists).length;
    this.deps.metrics.inc("firestore_reads", snaps.length);
    this.deps.metrics.inc("l2_hits", found);
    this.deps.metrics.inc("l2_misses", snaps.length - found);
    if (op.tally) op.tally.reads += snaps.length;
  }

  async get<T>(
    ref: DocumentReference,
    schema: z.ZodType<T>,
    op: Op,
  ): Promise<{ doc: Versioned<T>; bytes: number }> {
    const snap = await this.call(`read ${ref.path}`, "read", op, () => ref.get());
    this.countReads([snap], op);
    return this.parse(snap, schema, op.log);
  }

  /** Several documents in one round trip, in the order asked. */
  async getAll(refs: DocumentReference[], op: Op): Promise<DocumentSnapshot[]> {
    const db = this.deps.db();
    const snaps = await this.call(`read ${refs.map((r) => r.path).join(",")}`, "read", op, () =>
      db.getAll(...refs),
    );
    this.countReads(snaps, op);
    return snaps;
  }

  /** Runs a query; each returned document counts as a read (an empty result as one). */
  async query(what: string, q: FirebaseFirestore.Query, op: Op): Promise<FirebaseFirestore.QuerySnapshot> {
    const snap = await this.call(what, "read", op, () => q.get());
    this.deps.metrics.inc("firestore_reads", Math.max(1, snap.size));
    if (op.tally) op.tally.reads += Math.max(1, snap.size);
    return snap;
  }

  /** One atomic commit (one round trip). */
  async commit(op: Op, build: (writes: Writes) => void): Promise<WriteResult[]> {
    const batch = this.deps.db().batch();
    const writes = new Writes(batch);
    build(writes);
    const results = await this.call("commit", "commit", op, () => batch.commit());
    this.deps.metrics.inc("firestore_commits");
    this.deps.metrics.inc("firestore_writes", results.length);
    if (op.tally) {
      op.tally.commits++;
      op.tally.writes += results.length;
    }
    return results;
  }
}

/** Precondition for an optimistic write over a document we last saw as `base`. */
export function writePrecondition(base: Versioned<unknown>): Precondition | null {
  return base.exists && base.updateTime ? { lastUpdateTime: base.updateTime } : null;
}

/**
 * Writes `data` as the whole new document under an optimistic precondition:
 * `create` when we saw no document (fails if one appeared), `update` guarded by
 * lastUpdateTime otherwise (fails if anyone wrote since).
 */
export function casWrite(
  writes: Writes,
  ref: DocumentReference,
  base: Versioned<unknown>,
  data: Record<string, unknown>,
): number {
  const pre = writePrecondition(base);
  if (!base.exists) return writes.create(ref, data);
  if (pre) return writes.update(ref, data, pre);
  throw new Error(`no base version for ${ref.path}`);
}
