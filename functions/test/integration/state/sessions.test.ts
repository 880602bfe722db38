import { describe, expect, it } from "vitest";
import type { SettingValue } from "../../../src/state/schemas.js";
import { SESSION_HISTORY_LIMIT } from "../../../src/state/sessions.js";
import { makeState, type TestState, turn, uid, uniquePrefix } from "../../support/firestore.js";

/** A settings change the way /skill makes it: the effect of a command's claim. */
async function set(s: TestState, user: number, values: Record<string, SettingValue>) {
  const effect = s.state.sessions.change(user, () => values);
  await s.state.claims.openAnswered({ updateId: uid(), chatId: user, reply: "ok" }, s.op(), effect);
  return effect.result();
}

describe("sessions on the Firestore emulator", () => {
  it("concurrent changes from 3 instances are all kept; versions strictly increase", async () => {
    const prefix = uniquePrefix();
    const instances = Array.from({ length: 3 }, () => makeState(prefix));
    const user = uid();
    await Promise.all(Array.from({ length: 9 }, (_, i) => set(instances[i % 3]!, user, { [`k${i}`]: i })));
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
    await set(a, user, { activeSkill: "coder" });
    const tasks = Array.from({ length: 5 }, () => turn(a, user, user, uid(), "hi"));
    await Promise.all([...tasks, set(makeState(prefix), user, { lang: "en" })]);
    const fresh = await a.state.sessions.read(user, a.op());
    expect(fresh.value!.settings).toMatchObject({ activeSkill: "coder", lang: "en" });
    expect(fresh.value!.usage.messages).toBe(5);
    expect(fresh.value!.usage.inputTokens).toBe(50);
  });

  it("each change is a version with a from/to record; the change log is bounded; values are frozen", async () => {
    const s = makeState(uniquePrefix());
    const user = uid();
    await set(s, user, { activeSkill: "a" });
    const second = await set(s, user, { activeSkill: "b", lang: "fr" });
    expect(second.version).toBe(2);
    expect(second.history.at(-1)!.changes).toEqual({
      activeSkill: { from: "a", to: "b" },
      lang: { from: null, to: "fr" },
    });
    // No change, no write, no version.
    expect((await set(s, user, { activeSkill: "b" })).version).toBe(2);
    for (let i = 0; i < SESSION_HISTORY_LIMIT + 5; i++) await set(s, user, { n: i });
    const loaded = (await s.state.sessions.load(user, s.op())).value!;
    expect(loaded.history).toHaveLength(SESSION_HISTORY_LIMIT);
    expect(loaded.version).toBe(2 + SESSION_HISTORY_LIMIT + 5);
    expect(() => {
      (loaded.settings as Record<string, unknown>).n = 1;
    }).toThrow(TypeError);
  });

  it("a corrupt session document is reset on the next change, not thrown", async () => {
    const s = makeState(uniquePrefix());
    const user = uid();
    await s.db
      .collection(s.state.io.deps.names.sessions)
      .doc(String(user))
      .set({ version: "x", settings: 5 });
    const loaded = await s.state.sessions.load(user, s.op());
    expect(loaded.value).toBeNull();
    const changed = await set(s, user, { activeSkill: "a" });
    expect(changed.settings.activeSkill).toBe("a");
    expect(s.lines.some((l) => l.severity === "WARNING")).toBe(true);
  });
});
