import { describe, expect, it } from "vitest";
import { ChatQueue } from "../../../src/telegram/chat-queue.js";

describe("ChatQueue (one turn at a time per chat)", () => {
  it("runs one chat's tasks in order, one at a time, even when one fails", async () => {
    const q = new ChatQueue();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const task =
      (name: string, ms: number, fail = false) =>
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        running--;
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      q.run(1, task("a", 20)),
      q.run(1, task("b", 5, true)),
      q.run(1, task("c", 1)),
    ]);
    expect(maxRunning).toBe(1);
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(q.active).toBe(0);
  });

  it("runs different chats concurrently", async () => {
    const q = new ChatQueue();
    let running = 0;
    let maxRunning = 0;
    const task = async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
    };
    await Promise.all([1, 2, 3].map((chat) => q.run(chat, task)));
    expect(maxRunning).toBe(3);
  });
});

describe("ChatQueue with a deadline", () => {
  it("a task whose signal aborts while it waits is answered at once and never runs", async () => {
    const queue = new ChatQueue();
    let release!: () => void;
    const first = queue.run(1, () => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    let ran = false;
    const second = queue.run(
      1,
      async () => {
        ran = true;
      },
      controller.signal,
    );
    controller.abort(new Error("out of time"));
    await expect(second).rejects.toThrow("out of time");
    release();
    await first;
    await queue.run(1, async () => {}); // the chain goes on after the abandoned task
    await new Promise((r) => setImmediate(r)); // idle chats are dropped right after
    expect(ran).toBe(false);
    expect(queue.active).toBe(0);
  });
});
