import { describe, expect, it } from "vitest";
import { type RecentSessionsQuery, recentSessionsIndexed } from "../../../src/state/state-manager.js";
import { makeState, uid, uniquePrefix } from "../../support/firestore.js";

async function seed(prefix: string, users: number[]) {
  const s = makeState(prefix);
  for (const u of users) {
    const updateId = uid();
    await s.state.conversations.beginTurn(
      { chatId: u, userId: u, updateId, user: [{ type: "text", text: "hi" }], ratePerMinute: 0 },
      s.log,
    );
    await s.state.conversations.completeTurn(
      { chatId: u, userId: u, updateId, reply: [{ role: "assistant", content: "yo" }], status: "done" },
      s.log,
    );
  }
  await s.db
    .collection(`${prefix}skills`)
    .doc("coder")
    .set({ name: "Coder", systemPrompt: "You review code." });
}

describe("warm-up on the Firestore emulator", () => {
  it("loads skills, recent sessions and their chats so the first turn reads nothing", async () => {
    const prefix = uniquePrefix();
    const users = [uid(), uid(), uid()];
    await seed(prefix, users);
    const s = makeState(prefix);
    await s.state.startWarmup();
    expect(s.metrics.warmupMs).not.toBeNull();
    const reads = s.metrics.get("firestore_reads");
    await s.state.sessions.load(users[0]!);
    await s.state.conversations.load(users[0]!);
    expect((await s.state.skills.list()).map((k) => k.id)).toEqual(["coder"]);
    expect(s.metrics.get("firestore_reads") - reads).toBe(0);
  });

  it("falls back to an unindexed query and logs WARN when the index is missing", async () => {
    const prefix = uniquePrefix();
    const users = [uid(), uid()];
    await seed(prefix, users);
    // The emulator never enforces indexes; production answers FAILED_PRECONDITION (9).
    const missingIndex: RecentSessionsQuery = async () => {
      throw Object.assign(new Error("The query requires an index"), { code: 9 });
    };
    const s = makeState(prefix, {}, missingIndex);
    await s.state.startWarmup();
    const warn = s.lines.find((l) => l.severity === "WARNING" && String(l.message).includes("index missing"));
    expect(warn).toBeDefined();
    const reads = s.metrics.get("firestore_reads");
    await s.state.sessions.load(users[1]!);
    expect(s.metrics.get("firestore_reads") - reads).toBe(0);
  });

  it("never delays a request; shutdown waits for it; its errors are logged", async () => {
    const prefix = uniquePrefix();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow: RecentSessionsQuery = async (io, limit) => {
      await gate;
      return recentSessionsIndexed(io, limit);
    };
    const s = makeState(prefix, {}, slow);
    const warm = s.state.startWarmup();
    const chat = uid();
    const begun = await s.state.conversations.beginTurn(
      {
        chatId: chat,
        userId: chat,
        updateId: uid(),
        user: [{ type: "text", text: "now" }],
        ratePerMinute: 0,
      },
      s.log,
    );
    expect(begun.kind).toBe("started");
    expect(s.state.background.pending).toBe(1); // warm-up still running
    let shutDown = false;
    const shutdown = s.state.shutdown().then(() => {
      shutDown = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(shutDown).toBe(false);
    release();
    await shutdown;
    await warm;
    expect(s.state.background.pending).toBe(0);

    const failing = makeState(prefix, {}, async () => {
      throw Object.assign(new Error("denied"), { code: 7 });
    });
    await failing.state.startWarmup();
    await failing.state.shutdown();
    expect(failing.lines.some((l) => l.severity === "ERROR" && l.job === "warmup")).toBe(true);
  });
});
