import { LRUCache } from "lru-cache";
import { MediaError } from "./errors.js";
import { memoryBytes, type PreparedMedia } from "./prepare.js";

export interface MediaCacheOptions {
  /** Bound on the prepared bytes held (base64 and text). */
  maxBytes: number;
  /** Entries older than this are dropped (Telegram may be asked again). Default 1 h. */
  ttlMs?: number;
}

export interface MediaCacheStats {
  hits: number;
  misses: number;
  /** Loads started (one per miss that was not already in flight). */
  loads: number;
  /** Misses that joined a load already in flight. */
  joined: number;
  evictions: number;
}

interface Flight {
  promise: Promise<PreparedMedia>;
  controller: AbortController;
  waiters: number;
}

/**
 * L1 byte cache of prepared media keyed by file_unique_id, so a follow-up question on a warm
 * instance sends the model the same image without asking Telegram again. Values are frozen
 * objects of strings: what callers get cannot be changed.
 *
 * Concurrent misses on one key share one load. Single-flight is our own rather than
 * lru-cache's fetch(): there, the first caller's AbortSignal decides for everyone, so one
 * request reaching its deadline would fail another with time to spare. Here each caller stops
 * waiting at its own deadline and the shared load is aborted only when nobody waits any more.
 */
export class PreparedMediaCache {
  private readonly lru: LRUCache<string, PreparedMedia>;
  private readonly inflight = new Map<string, Flight>();
  private readonly counters: MediaCacheStats = { hits: 0, misses: 0, loads: 0, joined: 0, evictions: 0 };

  constructor(options: MediaCacheOptions) {
    this.lru = new LRUCache<string, PreparedMedia>({
      maxSize: options.maxBytes,
      // One item larger than the whole cache is served but not kept.
      maxEntrySize: options.maxBytes,
      sizeCalculation: (v) => Math.max(1, memoryBytes(v)),
      ttl: options.ttlMs ?? 60 * 60 * 1000,
      updateAgeOnGet: false,
      dispose: (_v, _k, reason) => {
        if (reason === "evict" || reason === "expire") this.counters.evictions++;
      },
    });
  }

  get(key: string): PreparedMedia | undefined {
    const v = this.lru.get(key);
    if (v) this.counters.hits++;
    else this.counters.misses++;
    return v;
  }

  set(key: string, value: PreparedMedia): PreparedMedia {
    const frozen = Object.freeze({ ...value }) as PreparedMedia;
    this.lru.set(key, frozen);
    return frozen;
  }

  /**
   * A cached value, or the result of one shared `loader` call for all concurrent callers.
   * The loader's signal aborts only when every caller has given up. A failed load is not cached.
   */
  load(
    key: string,
    loader: (signal: AbortSignal) => Promise<PreparedMedia>,
    signal?: AbortSignal,
  ): Promise<PreparedMedia> {
    const hit = this.get(key);
    if (hit) return Promise.resolve(hit);
    const pending = this.inflight.get(key);
    // A load everyone gave up on is finishing its abort: start afresh rather than join it.
    if (pending && !pending.controller.signal.aborted) {
      this.counters.joined++;
      return this.wait(pending, signal);
    }
    this.counters.loads++;
    const controller = new AbortController();
    const done = () => {
      if (this.inflight.get(key) === flight) this.inflight.delete(key);
    };
    const flight: Flight = {
      controller,
      waiters: 0,
      promise: loader(controller.signal).then(
        (value) => {
          done();
          return this.set(key, value);
        },
        (err: unknown) => {
          done();
          throw err;
        },
      ),
    };
    this.inflight.set(key, flight);
    return this.wait(flight, signal);
  }

  private wait(flight: Flight, signal: AbortSignal | undefined): Promise<PreparedMedia> {
    flight.waiters++;
    return new Promise<PreparedMedia>((resolve, reject) => {
      let left = false;
      const leave = (): boolean => {
        if (left) return false;
        left = true;
        signal?.removeEventListener("abort", onAbort);
        flight.waiters--;
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        if (flight.waiters === 0) flight.controller.abort();
        reject(new MediaError("timeout", "deadline reached while waiting for media", { stage: "cache" }));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      flight.promise.then(
        (v) => {
          if (leave()) resolve(v);
        },
        (err: unknown) => {
          if (leave()) reject(err);
        },
      );
    });
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  get stats(): Readonly<MediaCacheStats> {
    return { ...this.counters };
  }

  get size(): number {
    return this.lru.size;
  }

  get calculatedBytes(): number {
    return this.lru.calculatedSize;
  }
}
