import { describe, expect, it } from "vitest";
import { type RecentSessionsQuery, recentSessionsIndexed } from "../../../src/state/state-manager.js";
import { makeState, text, turn, uid, uniquePrefix } from "../../support/firestore.js";

async function seed(prefix: string, users: number[]) {
  const s = makeState(prefix);
  for (const u of users) await turn(s, u, u, uid(), "hi");
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
    await s.state.sessions.load(users[0]!, s.op());
    await s.state.conversations.load({ chatId: users[0]! }, s.op());
    expect((await s.state.skills.list(s.op())).map((k) => k.id)).toEqual(["coder"]);
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
    await s.state.sessions.load(users[1]!, s.op());
    expect(s.metrics.get("firestore_reads") - reads).toBe(0);
  });

  it("never delays a request; shutdown waits for it; its errors are logged", async () => {
    const prefix = uniquePrefix();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow: RecentSessionsQuery = async (io, limit, op) => {
      await gate;
      return recentSessionsIndexed(io, limit, op);
    };
    const s = makeState(prefix, {}, slow);
    const warm = s.state.startWarmup();
    const chat = uid();
    const begun = await s.state.turns.begin(
      { chatId: chat, userId: chat, updateId: uid(), user: text("now"), ratePerMinute: 0 },
      s.op(),
    );
    expect(begun.kind).toBe("started");
    expect(s.state.background.pending).toBe(1); // warm-up still running
    let shutDown = false;
    const shutdown = s.state.shutdown().then(() => {
      shutDown = true;
    });
    await Promise.resolve();
    expect(shutDown).toBe(false); // it waits for the warm-up, which waits for the gate

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

  it("never replaces what a turn committed while the warm-up's read was on the wire", async () => {
    const prefix = uniquePrefix();
    const user = uid();
    await seed(prefix, [user]);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    // The warm-up reads its snapshot, then stalls before priming L1 with it.
    const stalled: RecentSessionsQuery = async (io, limit, op) => {
      const snap = await recentSessionsIndexed(io, limit, op);
      await gate;
      return snap;
    };
    const s = makeState(prefix, {}, stalled);
    const warm = s.state.startWarmup();
    // Meanwhile a turn in the user's chat commits (and a settings change, like /skill).
    await turn(s, user, user, uid(), "newer");
    const effect = s.state.sessions.change(user, () => ({ activeSkill: "coder" }));
    await s.state.claims.openAnswered({ updateId: uid(), chatId: user, reply: "ok" }, s.op(), effect);
    release();
    await warm;
    const reads = s.metrics.get("firestore_reads");
    const conv = await s.state.conversations.load({ chatId: user }, s.op());
    const session = await s.state.sessions.load(user, s.op());
    expect(s.metrics.get("firestore_reads") - reads).toBe(0);
    expect(conv.value!.turns.map((t) => t.user[0]!.text)).toEqual(["hi", "newer"]);
    expect(session.value!.settings.activeSkill).toBe("coder");
  });
});
