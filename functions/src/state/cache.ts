import type { Timestamp } from "@google-cloud/firestore";
import { LRUCache } from "lru-cache";
import type { Metrics } from "../observability/metrics.js";
import type { Clock } from "../timeouts.js";

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
  /** The clock TTLs run on (tests drive it). */
  clock?: Clock;
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
      // ttlResolution 0: ask the clock every time (lru-cache otherwise caches "now" on a timer).
      ...(options.clock ? { perf: { now: () => options.clock!.now() }, ttlResolution: 0 } : {}),
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

  /** A cached document without counting a hit or miss (for bookkeeping, not for serving a read). */
  peek<T>(key: string): Versioned<T> | undefined {
    return this.lru.peek(key)?.doc as Versioned<T> | undefined;
  }

  /**
   * Moves a cached document forward by a write Firestore just accepted whose effect is
   * known without reading it back (server-side increments): `next` gets the entry and
   * returns the new one, or null to drop it. The entry keeps its TTL, so it still expires
   * when the read it started from would have: changes made elsewhere (other instances)
   * show up no later than that, however often this instance writes. No entry: nothing to
   * do. A load in flight is abandoned (it may have read before the write).
   */
  advance<T>(key: string, next: (doc: Versioned<T>) => { doc: Versioned<T>; bytes: number } | null): void {
    this.inflight.delete(key);
    const entry = this.lru.peek(key);
    if (!entry) return;
    const moved = next(entry.doc as Versioned<T>);
    if (!moved) {
      this.lru.delete(key);
      return;
    }
    this.lru.set(key, { doc: deepFreeze(moved.doc), bytes: moved.bytes }, { noUpdateTTL: true });
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

  /**
   * Stores a document read outside a turn (warm-up) unless L1 already has the
   * same or a newer version of it, or a load of it is in flight: a commit made
   * while the warm-up read was on the wire must not be replaced by that read.
   */
  setIfNewer<T>(key: string, doc: Versioned<T>, bytes: number): void {
    if (this.inflight.has(key)) return;
    const held = this.lru.peek(key)?.doc;
    if (held) {
      // Timestamps compare through valueOf(), a sortable string.
      const newer =
        doc.exists &&
        doc.updateTime !== null &&
        (!held.exists || held.updateTime === null || doc.updateTime > held.updateTime);
      if (!newer) return;
    }
    this.lru.set(key, { doc: deepFreeze(doc), bytes });
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
