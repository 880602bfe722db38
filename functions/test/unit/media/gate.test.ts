import { describe, expect, it } from "vitest";
import { Gate } from "../../../src/media/gate.js";

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("Gate", () => {
  it("runs at most `capacity` tasks at once, the rest in arrival order", async () => {
    const gate = new Gate(2);
    const started: number[] = [];
    const finish = [deferred(), deferred(), deferred(), deferred()];
    const runs = finish.map((d, i) =>
      gate.run(async () => {
        started.push(i);
        await d.promise;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect([gate.running, gate.waiting]).toEqual([2, 2]);
    finish[1]!.resolve();
    await runs[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    finish[0]!.reject(new Error("task failed"));
    await expect(runs[0]).rejects.toThrow("task failed");
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2, 3]);
    finish[2]!.resolve();
    finish[3]!.resolve();
    expect(await Promise.all([runs[2], runs[3]])).toEqual([2, 3]);
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
  });

  it("lets a waiter leave at its deadline without taking a place", async () => {
    const gate = new Gate(1);
    const hold = deferred();
    const first = gate.run(() => hold.promise);
    const deadline = new AbortController();
    let ran = false;
    const second = gate.run(async () => {
      ran = true;
    }, deadline.signal);
    const third = gate.run(async () => "third");
    deadline.abort();
    await expect(second).rejects.toMatchObject({ reason: "timeout", details: { stage: "queue" } });
    expect(gate.waiting).toBe(1);
    hold.resolve();
    await first;
    expect(await third).toBe("third");
    expect(ran).toBe(false);
    await expect(gate.run(async () => 1, AbortSignal.abort())).rejects.toMatchObject({ reason: "timeout" });
    expect(() => new Gate(0)).toThrow(RangeError);
  });
});

describe("Gate with weights", () => {
  it("admits by weight in arrival order: a heavy head is not overtaken", async () => {
    const gate = new Gate(10);
    const started: string[] = [];
    const holds = new Map<string, ReturnType<typeof deferred>>();
    const run = (name: string, weight: number) => {
      const d = deferred();
      holds.set(name, d);
      return gate.run(
        async () => {
          started.push(name);
          await d.promise;
        },
        undefined,
        weight,
      );
    };
    const a = run("a", 6);
    const b = run("b", 6); // does not fit beside a
    const c = run("c", 1); // would fit, but b is first in line
    await Promise.resolve();
    expect(started).toEqual(["a"]);
    expect([gate.running, gate.waiting]).toEqual([6, 2]);
    holds.get("a")!.resolve();
    await a;
    await Promise.resolve();
    expect(started).toEqual(["a", "b", "c"]);
    expect(gate.running).toBe(7);
    holds.get("b")!.resolve();
    holds.get("c")!.resolve();
    await Promise.all([b, c]);
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
  });

  it("runs a weight over the capacity alone, and lets the line move when a heavy waiter leaves", async () => {
    const gate = new Gate(10);
    const hold = deferred();
    const first = gate.run(() => hold.promise, undefined, 4);
    const leaves = new AbortController();
    const huge = gate.run(async () => "huge", leaves.signal, 50); // taken as 10: must wait for first
    const small = gate.run(async () => "small", undefined, 2);
    await Promise.resolve();
    expect([gate.running, gate.waiting]).toEqual([4, 2]);
    leaves.abort();
    await expect(huge).rejects.toMatchObject({ reason: "timeout" });
    // With the heavy head gone, the small one fits beside the first at once.
    expect(await small).toBe("small");
    hold.resolve();
    await first;
    expect(await gate.run(async () => "alone", undefined, 50)).toBe("alone");
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
  });

  it("runs weight 0 at once, even behind a waiter that does not fit", async () => {
    const gate = new Gate(10);
    const hold = deferred();
    const first = gate.run(() => hold.promise, undefined, 8);
    const heavy = gate.run(async () => "heavy", undefined, 8);
    await Promise.resolve();
    expect(gate.waiting).toBe(1);
    // A turn without media weighs nothing: it never queues behind media.
    expect(await gate.run(async () => "text", undefined, 0)).toBe("text");
    expect([gate.running, gate.waiting]).toEqual([8, 1]);
    hold.resolve();
    await first;
    expect(await heavy).toBe("heavy");
  });

  it("tells onWait only when a task has to queue", async () => {
    const gate = new Gate(10);
    const told: string[] = [];
    const hold = deferred();
    const first = gate.run(
      () => hold.promise,
      undefined,
      8,
      () => told.push("first"),
    );
    await gate.run(
      async () => {},
      undefined,
      2,
      () => told.push("fits"),
    );
    await gate.run(
      async () => {},
      undefined,
      0,
      () => told.push("text"),
    );
    const heavy = gate.run(
      async () => {},
      undefined,
      3,
      () => told.push("heavy"),
    );
    expect(told).toEqual(["heavy"]);
    hold.resolve();
    await Promise.all([first, heavy]);
    expect(told).toEqual(["heavy"]);
  });
});
