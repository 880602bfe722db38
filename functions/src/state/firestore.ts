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
import type { Tally } from "../observability/turn-stats.js";
import type { Versioned } from "./cache.js";
import { GrpcCode, InvalidDataError, StoreError, toStoreError } from "./errors.js";
import { jsonBytes } from "./history.js";
import { type RetryPolicy, withRetry } from "./retry.js";

export const COLLECTIONS = ["sessions", "conversations", "skills", "updates", "notes", "metrics"] as const;
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
  log: Logger;
  retry?: RetryPolicy | undefined;
  /** Per-call deadlines. The client alone waits ~45 s on a dead endpoint. */
  deadlineMs?: { read: number; commit: number } | undefined;
}

export const DEFAULT_DEADLINES = { read: 4_000, commit: 8_000 };

/**
 * Bounds one Firestore call. On expiry the call is abandoned (its late result is
 * ignored) and a DEADLINE_EXCEEDED StoreError is thrown: transient, so it is
 * retried, and in the webhook it becomes a 503 so Telegram redelivers. An
 * abandoned commit may still land; callers resolve that ambiguity by re-reading
 * (claims carry an owner token for exactly this).
 */
export function withDeadline<T>(what: string, ms: number, op: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StoreError("unavailable", `${what} exceeded ${ms} ms`, {
            code: GrpcCode.DEADLINE_EXCEEDED,
            transient: true,
          }),
        ),
      ms,
    );
  });
  op.catch(() => {}); // a late failure of an abandoned call is not unhandled
  return Promise.race([op, expired]).finally(() => clearTimeout(timer));
}

/**
 * The Firestore edge of the state layer: validated reads and counted, atomic
 * commits. Every read and write in the project goes through here, so the
 * Firestore read/write counters are exact.
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
  parse<T>(snap: DocumentSnapshot, schema: z.ZodType<T>): { doc: Versioned<T>; bytes: number } {
    if (!snap.exists) return { doc: { value: null, updateTime: null, exists: false }, bytes: 64 };
    const data = snap.data();
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const err = new InvalidDataError(
        snap.ref.path,
        parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`),
      );
      this.deps.log.warn({ err, path: snap.ref.path, kind: err.kind }, "invalid document reset");
      return { doc: { value: null, updateTime: snap.updateTime ?? null, exists: true }, bytes: 64 };
    }
    return {
      doc: { value: parsed.data, updateTime: snap.updateTime ?? null, exists: true },
      bytes: jsonBytes(data),
    };
  }

  private get deadlines() {
    return this.deps.deadlineMs ?? DEFAULT_DEADLINES;
  }

  private countReads(n: number, tally: Tally | undefined): void {
    this.deps.metrics.inc("firestore_reads", n);
    if (tally) tally.reads += n;
  }

  async get<T>(
    ref: DocumentReference,
    schema: z.ZodType<T>,
    tally?: Tally,
  ): Promise<{ doc: Versioned<T>; bytes: number }> {
    const what = `read ${ref.path}`;
    const snap = await withRetry(what, () => withDeadline(what, this.deadlines.read, ref.get()), this.deps);
    this.countReads(1, tally);
    return this.parse(snap, schema);
  }

  /** Runs a query (retried when transient); each returned document counts as a read. */
  async query(
    what: string,
    q: FirebaseFirestore.Query,
    tally?: Tally,
  ): Promise<FirebaseFirestore.QuerySnapshot> {
    const snap = await withRetry(what, () => withDeadline(what, this.deadlines.read, q.get()), this.deps);
    // Firestore bills a query that matches nothing as one read.
    this.countReads(Math.max(1, snap.size), tally);
    return snap;
  }

  async getAll(refs: DocumentReference[], tally?: Tally): Promise<DocumentSnapshot[]> {
    const db = this.deps.db();
    const snaps = await withRetry(
      `read ${refs.map((r) => r.path).join(",")}`,
      () => db.getAll(...refs),
      this.deps,
    );
    this.countReads(refs.length, tally);
    return snaps;
  }

  /**
   * One atomic commit (one round trip). Not retried here: a commit whose outcome
   * is unknown is resolved by the caller's optimistic loop, which re-reads.
   */
  async commit(build: (batch: WriteBatch) => void, tally?: Tally): Promise<WriteResult[]> {
    const batch = this.deps.db().batch();
    build(batch);
    try {
      const results = await withDeadline("commit", this.deadlines.commit, batch.commit());
      this.deps.metrics.inc("firestore_commits");
      this.deps.metrics.inc("firestore_writes", results.length);
      if (tally) {
        tally.commits++;
        tally.writes += results.length;
      }
      return results;
    } catch (err) {
      throw toStoreError(err, "commit");
    }
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
  batch: WriteBatch,
  ref: DocumentReference,
  base: Versioned<unknown>,
  data: Record<string, unknown>,
): void {
  const pre = writePrecondition(base);
  if (!base.exists) batch.create(ref, data);
  else if (pre) batch.update(ref, data, pre);
  else throw new Error(`no base version for ${ref.path}`);
}
