import { describe, expect, it } from "vitest";
import { Metrics } from "../../../src/observability/metrics.js";
import { L1Cache, type Versioned } from "../../../src/state/cache.js";

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

  it("expires entries after the TTL", async () => {
    const { cache } = make({ ttlMs: 30 });
    cache.set("a", doc(1), 10);
    await new Promise((r) => setTimeout(r, 60));
    expect(cache.get("a")).toBeUndefined();
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
