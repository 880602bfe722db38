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
