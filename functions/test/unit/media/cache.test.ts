import { describe, expect, it } from "vitest";
import { PreparedMediaCache } from "../../../src/media/cache.js";
import { MediaError } from "../../../src/media/errors.js";
import type { PreparedMedia } from "../../../src/media/prepare.js";

const image = (chars: number, tag = "a"): PreparedMedia => ({
  kind: "image",
  mediaType: "image/jpeg",
  data: tag.repeat(chars),
  width: 10,
  height: 10,
  sourceBytes: chars,
  reencoded: false,
});

const chars = (p: PreparedMedia) => (p.kind === "text" ? p.text.length : p.data.length);

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A loader the test finishes by hand, recording the signal each call got. */
function manualLoader() {
  const calls: Array<{ signal: AbortSignal; done: ReturnType<typeof deferred<PreparedMedia>> }> = [];
  const load = (signal: AbortSignal) => {
    const done = deferred<PreparedMedia>();
    calls.push({ signal, done });
    return done.promise;
  };
  return { calls, load };
}

describe("PreparedMediaCache", () => {
  it("serves a loaded value from memory, frozen", async () => {
    const cache = new PreparedMediaCache({ maxBytes: 10_000 });
    const loader = manualLoader();
    const first = cache.load("u1", loader.load);
    loader.calls[0]!.done.resolve(image(100));
    const value = await first;
    expect(await cache.load("u1", loader.load)).toBe(value);
    expect(loader.calls).toHaveLength(1);
    expect(() => {
      (value as { data: string }).data = "changed";
    }).toThrow(TypeError);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1, loads: 1 });
  });

  it("shares one load between concurrent misses", async () => {
    const cache = new PreparedMediaCache({ maxBytes: 10_000 });
    const loader = manualLoader();
    const a = cache.load("u1", loader.load);
    const b = cache.load("u1", loader.load);
    expect(loader.calls).toHaveLength(1);
    loader.calls[0]!.done.resolve(image(100));
    expect(await a).toBe(await b);
    expect(cache.stats).toMatchObject({ loads: 1, joined: 1 });
  });

  it("lets one caller give up at its deadline while the load goes on for the other", async () => {
    const cache = new PreparedMediaCache({ maxBytes: 10_000 });
    const loader = manualLoader();
    const short = new AbortController();
    const a = cache.load("u1", loader.load, short.signal);
    const b = cache.load("u1", loader.load, new AbortController().signal);
    short.abort();
    const err = await a.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toMatchObject({ reason: "timeout", details: { stage: "cache" } });
    expect(loader.calls[0]!.signal.aborted).toBe(false);
    loader.calls[0]!.done.resolve(image(50));
    expect(chars(await b)).toBe(50);
  });

  it("aborts the shared load when every caller has given up, and starts afresh after", async () => {
    const cache = new PreparedMediaCache({ maxBytes: 10_000 });
    const loader = manualLoader();
    const c1 = new AbortController();
    const c2 = new AbortController();
    const a = cache.load("u1", loader.load, c1.signal);
    const b = cache.load("u1", loader.load, c2.signal);
    c1.abort();
    expect(loader.calls[0]!.signal.aborted).toBe(false);
    c2.abort();
    expect(loader.calls[0]!.signal.aborted).toBe(true);
    await expect(a).rejects.toMatchObject({ reason: "timeout" });
    await expect(b).rejects.toMatchObject({ reason: "timeout" });
    // The aborted load has not settled yet; a new caller must not inherit its abort.
    const c = cache.load("u1", loader.load);
    expect(loader.calls).toHaveLength(2);
    loader.calls[0]!.done.reject(new MediaError("timeout", "aborted"));
    loader.calls[1]!.done.resolve(image(10));
    expect(chars(await c)).toBe(10);
  });

  it("does not start a load for a caller whose deadline has passed", async () => {
    const cache = new PreparedMediaCache({ maxBytes: 10_000 });
    const loader = manualLoader();
    await expect(cache.load("u1", loader.load, AbortSignal.abort())).rejects.toMatchObject({
      reason: "timeout",
    });
    expect(loader.calls[0]!.signal.aborted).toBe(true);
  });

  it("does not cache a failure", async () => {
    const cache = new PreparedMediaCache({ maxBytes: 10_000 });
    const loader = manualLoader();
    const a = cache.load("u1", loader.load);
    loader.calls[0]!.done.reject(new MediaError("download_failed", "boom"));
    await expect(a).rejects.toMatchObject({ reason: "download_failed" });
    const b = cache.load("u1", loader.load);
    loader.calls[1]!.done.resolve(image(10));
    expect(chars(await b)).toBe(10);
  });

  it("is bounded by bytes: the least recently used goes, an oversized item is served but not kept", async () => {
    const cache = new PreparedMediaCache({ maxBytes: 1_000 });
    cache.set("a", image(400, "a"));
    cache.set("b", image(400, "b"));
    expect(cache.get("a")).toBeDefined();
    cache.set("c", image(400, "c"));
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBeDefined();
    expect(cache.calculatedBytes).toBeLessThanOrEqual(1_000);
    expect(cache.stats.evictions).toBe(1);
    const big = await cache.load("big", async () => image(5_000));
    expect(chars(big)).toBe(5_000);
    expect(cache.get("big")).toBeUndefined();
    // Text counts two bytes per character (V8 may store it as UTF-16).
    cache.set("t", { kind: "text", mediaType: "text/plain", text: "x".repeat(300), sourceBytes: 300 });
    expect(cache.calculatedBytes).toBeLessThanOrEqual(1_000);
  });
});
