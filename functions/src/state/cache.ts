import type { Timestamp } from "@google-cloud/firestore";
import { LRUCache } from "lru-cache";
import type { Metrics } from "../observability/metrics.js";

/**
 * One document as last committed to Firestore: its value (null when the document
 * does not exist or failed validation; deep-frozen at runtime once cached, so a
 * caller's mutation throws in strict-mode modules) and its update time, which is the base for the next optimistic
 * write (a `lastUpdateTime` precondition). `updateTime` is null for a missing
 * document, or when the exact base is unknown.
 */
export interface Versioned<T> {
  readonly value: T | null;
  readonly updateTime: Timestamp | null;
  readonly exists: boolean;
}

interface Entry {
  doc: Versioned<unknown>;
  bytes: number;
}

export interface L1Options {
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
  metrics: Metrics;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The L1 cache: an LRU bounded by entries, approximate bytes and TTL. Values are
 * deep-frozen when stored, so what callers get cannot be mutated (no copy per hit).
 * Only `set` after a successful commit puts data in; a failed or lost write calls
 * `delete`. Concurrent misses for one key share one load (single-flight).
 */
export class L1Cache {
  private readonly lru: LRUCache<string, Entry>;
  // Single-flight: lru-cache's own fetch() rejects waiting callers when the key is
  // written meanwhile; here a newer committed value simply wins and readers still
  // get their answer.
  private readonly inflight = new Map<string, Promise<Versioned<unknown>>>();
  private readonly metrics: Metrics;

  constructor(options: L1Options) {
    this.metrics = options.metrics;
    this.lru = new LRUCache<string, Entry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (e) => Math.max(1, e.bytes),
      ttl: options.ttlMs,
      updateAgeOnGet: false,
      dispose: (_v, _k, reason) => {
        if (reason === "evict" || reason === "expire") this.metrics.inc("l1_evictions");
      },
    });
  }

  /** A cached document, or undefined on a miss. Counts hits and misses. */
  get<T>(key: string): Versioned<T> | undefined {
    const entry = this.lru.get(key);
    this.metrics.inc(entry ? "l1_hits" : "l1_misses");
    return entry?.doc as Versioned<T> | undefined;
  }

  /** Cache hit, or one shared load per key for all concurrent callers. */
  load<T>(key: string, loader: () => Promise<{ doc: Versioned<T>; bytes: number }>): Promise<Versioned<T>> {
    const hit = this.get<T>(key);
    if (hit) return Promise.resolve(hit);
    const pending = this.inflight.get(key);
    if (pending) return pending as Promise<Versioned<T>>;
    const p: Promise<Versioned<unknown>> = loader().then(
      ({ doc, bytes }) => {
        // Only store if no write or invalidation happened while we were reading.
        if (this.inflight.get(key) === p) {
          this.inflight.delete(key);
          this.lru.set(key, { doc: deepFreeze(doc), bytes });
        }
        return doc;
      },
      (err: unknown) => {
        if (this.inflight.get(key) === p) this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, p);
    return p as Promise<Versioned<T>>;
  }

  /** Store a committed document (call only after Firestore accepted the write). */
  set<T>(key: string, doc: Versioned<T>, bytes: number): Versioned<T> {
    this.inflight.delete(key);
    this.lru.set(key, { doc: deepFreeze(doc), bytes });
    return doc;
  }

  delete(key: string): void {
    this.inflight.delete(key);
    this.lru.delete(key);
  }

  get size(): number {
    return this.lru.size;
  }

  get calculatedBytes(): number {
    return this.lru.calculatedSize;
  }

  clear(): void {
    this.inflight.clear();
    this.lru.clear();
  }
}
