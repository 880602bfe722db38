import { Timestamp } from "@google-cloud/firestore";
import { describe, expect, it } from "vitest";
import { Metrics } from "../../../src/observability/metrics.js";
import { L1Cache, type Versioned } from "../../../src/state/cache.js";
import { ManualClock } from "../../support/clock.js";

const doc = <T>(value: T): Versioned<T> => ({ value, updateTime: null, exists: true });
const make = (over: Partial<ConstructorParameters<typeof L1Cache>[0]> = {}) => {
  const metrics = new Metrics();
  return {
    metrics,
    cache: new L1Cache({ maxEntries: 100, maxBytes: 10_000, ttlMs: 60_000, metrics, ...over }),
  };
};

describe("L1Cache", () => {
  it("counts hits and misses", () => {
    const { cache, metrics } = make();
    expect(cache.get("a")).toBeUndefined();
    cache.set("a", doc({ n: 1 }), 10);
    expect(cache.get<{ n: number }>("a")!.value).toEqual({ n: 1 });
    expect(metrics.get("l1_hits")).toBe(1);
    expect(metrics.get("l1_misses")).toBe(1);
  });

  it("hands out deep-frozen values", () => {
    const { cache } = make();
    cache.set("a", doc({ list: [{ x: 1 }] }), 10);
    const v = cache.get<{ list: { x: number }[] }>("a")!.value!;
    expect(() => v.list.push({ x: 2 })).toThrow(TypeError);
    expect(() => {
      v.list[0]!.x = 5;
    }).toThrow(TypeError);
  });

  it("is bounded by entries and by approximate bytes, counting evictions", () => {
    const { cache, metrics } = make({ maxEntries: 3, maxBytes: 1_000 });
    for (let i = 0; i < 5; i++) cache.set(`k${i}`, doc(i), 10);
    expect(cache.size).toBe(3);
    cache.set("big", doc("x"), 995);
    expect(cache.calculatedBytes).toBeLessThanOrEqual(1_000);
    expect(metrics.get("l1_evictions")).toBeGreaterThanOrEqual(4);
  });

  it("expires entries after the TTL, on the injected clock", () => {
    const clock = new ManualClock();
    const { cache } = make({ ttlMs: 30_000, clock });
    cache.set("a", doc(1), 10);
    clock.advance(29_999);
    expect(cache.get("a")).toBeDefined();
    clock.advance(2);
    expect(cache.get("a")).toBeUndefined();
  });

  it("advance: moves an entry forward keeping its TTL (the read it came from), never creates one", () => {
    const clock = new ManualClock();
    const { cache, metrics } = make({ ttlMs: 30_000, clock });
    cache.advance<number>("absent", (d) => ({ doc: doc(d.value! + 1), bytes: 10 }));
    expect(cache.peek("absent")).toBeUndefined();
    cache.set("a", doc(1), 10);
    clock.advance(20_000);
    cache.advance<number>("a", (d) => ({ doc: doc(d.value! + 1), bytes: 10 }));
    expect(cache.peek<number>("a")!.value).toBe(2);
    expect(() => {
      (cache.peek<{ n: number }>("a") as { value: unknown }).value = 3;
    }).toThrow(TypeError);
    clock.advance(10_001); // 30 s after the set, however recently it was advanced
    expect(cache.get("a")).toBeUndefined();
    cache.set("b", doc(1), 10);
    cache.advance("b", () => null);
    expect(cache.peek("b")).toBeUndefined();
    expect(metrics.get("l1_hits") + metrics.get("l1_misses")).toBe(1); // peek counts nothing
  });

  it("advance abandons a load in flight: it may have read before the write", async () => {
    const { cache } = make();
    let release!: () => void;
    const loading = cache.load("a", async () => {
      await new Promise<void>((r) => {
        release = r;
      });
      return { doc: doc(1), bytes: 10 };
    });
    cache.advance<number>("a", (d) => ({ doc: doc(d.value! + 1), bytes: 10 }));
    release();
    expect((await loading).value).toBe(1);
    expect(cache.peek("a")).toBeUndefined(); // the next load reads again
  });

  it("single-flight: concurrent misses share one load", async () => {
    const { cache } = make();
    let loads = 0;
    const loader = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 10));
      return { doc: doc("v"), bytes: 10 };
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => cache.load("k", loader)));
    expect(loads).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it("a write during an in-flight load wins: the stale read is not cached", async () => {
    const { cache } = make();
    let release!: () => void;
    const slow = cache.load("k", async () => {
      await new Promise<void>((r) => {
        release = r;
      });
      return { doc: doc("old"), bytes: 10 };
    });
    cache.set("k", doc("committed"), 10);
    release();
    expect((await slow).value).toBe("old"); // the reader still gets its answer
    expect(cache.get("k")!.value).toBe("committed");
  });

  it("a failed load caches nothing and the next call retries", async () => {
    const { cache } = make();
    await expect(cache.load("k", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    const ok = await cache.load("k", async () => ({ doc: doc(1), bytes: 1 }));
    expect(ok.value).toBe(1);
  });
});

describe("L1Cache.setIfNewer (warm-up)", () => {
  const doc = (ms: number | null, exists = true) => ({
    value: { v: ms },
    updateTime: ms === null ? null : Timestamp.fromMillis(ms),
    exists,
  });

  it("fills a missing entry, never replaces a newer one, replaces an older one", () => {
    const cache = new L1Cache({ maxEntries: 10, maxBytes: 1e6, ttlMs: 60_000, metrics: new Metrics() });
    cache.setIfNewer("k", doc(5), 10);
    expect(cache.get<{ v: number }>("k")!.value!.v).toBe(5);
    cache.setIfNewer("k", doc(3), 10); // older read: ignored
    expect(cache.get<{ v: number }>("k")!.value!.v).toBe(5);
    cache.setIfNewer("k", doc(9), 10);
    expect(cache.get<{ v: number }>("k")!.value!.v).toBe(9);
    cache.set("m", { value: null, updateTime: null, exists: false }, 1);
    cache.setIfNewer("m", doc(1), 10); // the document appeared since we saw it missing
    expect(cache.get<{ v: number }>("m")!.value!.v).toBe(1);
  });

  it("does not race a load in flight: the load's fresher answer wins", async () => {
    const cache = new L1Cache({ maxEntries: 10, maxBytes: 1e6, ttlMs: 60_000, metrics: new Metrics() });
    let resolve!: (d: { doc: ReturnType<typeof doc>; bytes: number }) => void;
    const loading = cache.load<{ v: number | null }>("k", () => new Promise((r) => (resolve = r)));
    cache.setIfNewer("k", doc(1), 10);
    resolve({ doc: doc(2), bytes: 10 });
    await loading;
    expect(cache.get<{ v: number }>("k")!.value!.v).toBe(2);
  });
});
