import { describe, expect, it } from "vitest";
import { SESSION_HISTORY_LIMIT } from "../../../src/state/sessions.js";
import { makeState, uid, uniquePrefix } from "../../support/firestore.js";

describe("sessions on the Firestore emulator", () => {
  it("concurrent changes from 3 instances are all kept; versions strictly increase", async () => {
    const prefix = uniquePrefix();
    const instances = Array.from({ length: 3 }, () => makeState(prefix));
    const user = uid();
    await Promise.all(
      Array.from({ length: 9 }, (_, i) => instances[i % 3]!.state.sessions.set(user, { [`k${i}`]: i })),
    );
    const snap = await instances[0]!.db.collection(`${prefix}sessions`).doc(String(user)).get();
    const data = snap.data()!;
    expect(Object.keys(data.settings).sort()).toEqual(Array.from({ length: 9 }, (_, i) => `k${i}`).sort());
    expect(data.version).toBe(9);
    const versions = (data.history as { version: number }[]).map((h) => h.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it("usage increments from turns never clobber settings, and settings never clobber usage", async () => {
    const prefix = uniquePrefix();
    const a = makeState(prefix);
    const user = uid();
    await a.state.sessions.set(user, { activeSkill: "coder" });
    const tasks = Array.from({ length: 5 }, async () => {
      const updateId = uid();
      await a.state.conversations.beginTurn(
        { chatId: user, userId: user, updateId, user: [{ type: "text", text: "hi" }], ratePerMinute: 0 },
        a.log,
      );
      await a.state.conversations.completeTurn(
        {
          chatId: user,
          userId: user,
          updateId,
          reply: [{ role: "assistant", content: "ok" }],
          status: "done",
          usage: { inputTokens: 100, outputTokens: 10, costUsd: 0.001 },
        },
        a.log,
      );
    });
    await Promise.all([...tasks, makeState(prefix).state.sessions.set(user, { lang: "en" })]);
    const fresh = await a.state.sessions.read(user);
    expect(fresh.value!.settings).toMatchObject({ activeSkill: "coder", lang: "en" });
    expect(fresh.value!.usage.messages).toBe(5);
    expect(fresh.value!.usage.inputTokens).toBe(500);
  });

  it("rollback restores earlier values as a new version; the change log is bounded", async () => {
    const s = makeState(uniquePrefix());
    const user = uid();
    await s.state.sessions.set(user, { activeSkill: "a" });
    await s.state.sessions.set(user, { activeSkill: "b" });
    await s.state.sessions.set(user, { activeSkill: "c", lang: "fr" });
    const rolled = await s.state.sessions.rollback(user, 2);
    expect(rolled.value!.settings).toMatchObject({ activeSkill: "a", lang: null });
    expect(rolled.value!.version).toBe(4);
    for (let i = 0; i < SESSION_HISTORY_LIMIT + 5; i++) await s.state.sessions.set(user, { n: i });
    const snap = await s.state.sessions.snapshot(user);
    expect(snap.history).toHaveLength(SESSION_HISTORY_LIMIT);
    expect(snap.version).toBe(4 + SESSION_HISTORY_LIMIT + 5);
    expect(() => {
      (snap.settings as Record<string, unknown>).n = 1;
    }).toThrow(TypeError);
  });

  it("a corrupt session document is reset on the next change, not thrown", async () => {
    const s = makeState(uniquePrefix());
    const user = uid();
    await s.db
      .collection(s.state.io.deps.names.sessions)
      .doc(String(user))
      .set({ version: "x", settings: 5 });
    const loaded = await s.state.sessions.load(user);
    expect(loaded.value).toBeNull();
    const changed = await s.state.sessions.set(user, { activeSkill: "a" });
    expect(changed.value!.settings.activeSkill).toBe("a");
    expect(s.lines.some((l) => l.severity === "WARNING")).toBe(true);
  });
});
