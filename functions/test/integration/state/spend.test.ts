import { describe, expect, it } from "vitest";
import { SessionSchema } from "../../../src/state/schemas.js";
import { spentAt } from "../../../src/state/spend.js";
import { ManualClock } from "../../support/clock.js";
import { answer, makeState, type TestState, text, uid, uniquePrefix } from "../../support/firestore.js";

/** A whole turn through the state layer that costs `costUsd`; like a text turn, it loads the session first. */
async function charged(s: TestState, chatId: number, userId: number, costUsd: number) {
  const op = s.op();
  await s.state.sessions.load(userId, op);
  const updateId = uid();
  const begun = await s.state.turns.begin(
    { chatId, userId, updateId, user: text("q"), ratePerMinute: 0 },
    op,
  );
  if (begun.kind !== "started") throw new Error(begun.kind);
  await s.state.turns.answer(
    begun.fence,
    { chatId, userId, updateId, reply: answer("a"), status: "done", text: "a", usage: { costUsd } },
    op,
  );
  return op;
}

async function storedSession(s: TestState, userId: number) {
  const snap = await s.db.collection(s.state.io.deps.names.sessions).doc(String(userId)).get();
  return SessionSchema.parse(snap.data());
}

const at = (iso: string) => Date.parse(iso);

describe("spend windows on the Firestore emulator", () => {
  it("the answer commit adds the turn's spend; L1 sees it at once, with no read", async () => {
    const clock = new ManualClock(at("2026-12-02T10:00:00Z"));
    const s = makeState(uniquePrefix(), { clock });
    const user = uid();
    await charged(s, user, user, 0.25); // cold: reads the session-less chat once
    await charged(s, user, user, 0.125);
    const op = s.op();
    const cached = await s.state.sessions.load(user, op);
    expect(op.tally!.reads).toBe(0);
    expect(spentAt(cached.value, clock.now())).toMatchObject({ dayUsd: 0.375, monthUsd: 0.375 });
    // L1 holds exactly what Firestore has (one instance: nobody else charged).
    const stored = await storedSession(s, user);
    expect(stored.spendMicroUsd).toEqual({ day: { "2026-12-02": 375_000 }, month: { "2026-12": 375_000 } });
    expect(cached.value!.usage).toEqual(stored.usage);
  });

  it("keys of past periods are pruned by later commits; yesterday's and last month's are kept", async () => {
    const clock = new ManualClock(at("2026-10-30T12:00:00Z"));
    const s = makeState(uniquePrefix(), { clock });
    const user = uid();
    for (const day of ["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02", "2026-12-01", "2026-12-02"]) {
      clock.advance(at(`${day}T12:00:00Z`) - clock.now());
      await charged(s, user, user, 0.01);
    }
    expect((await storedSession(s, user)).spendMicroUsd).toEqual({
      day: { "2026-12-01": 10_000, "2026-12-02": 10_000 },
      month: { "2026-11": 20_000, "2026-12": 20_000 },
    });
  });

  it("commits stamped on both sides of midnight (a turn that crossed it, a clock behind) all count", async () => {
    // Each instance knows the other day's key (it read the session after a first turn), so
    // each prunes what it may: neither may delete a key the other still writes.
    const prefix = uniquePrefix();
    const before = makeState(prefix, { clock: new ManualClock(at("2026-12-02T23:59:59Z")) });
    const after = makeState(prefix, { clock: new ManualClock(at("2026-12-03T00:00:01Z")) });
    const user = uid();
    await charged(before, user, user, 0.001);
    await charged(after, user, user, 0.001);
    await Promise.all([
      before.state.sessions.read(user, before.op()),
      after.state.sessions.read(user, after.op()),
    ]);
    await Promise.all(
      Array.from({ length: 16 }, (_, i) => charged(i % 2 === 0 ? before : after, uid(), user, 0.002)),
    );
    const stored = await storedSession(before, user);
    expect(stored.spendMicroUsd).toEqual({
      day: { "2026-12-02": 17_000, "2026-12-03": 17_000 },
      month: { "2026-12": 34_000 },
    });
    expect(stored.usage.messages).toBe(18);
  });

  it("a commit whose answer was lost leaves no stale copy in L1: the next load reads Firestore", async () => {
    const s = makeState(uniquePrefix(), { faulty: true });
    const user = uid();
    await charged(s, user, user, 0.5);
    await s.state.sessions.load(user, s.op()); // warm
    // The answer commit lands but its answer is lost: the retry learns from the claim that it landed.
    s.faulty!.inject({ kind: "lost_ack" }, { when: (paths) => paths.some((p) => p.includes("sessions/")) });
    await charged(s, user, user, 0.5);
    const op = s.op();
    const loaded = await s.state.sessions.load(user, op);
    expect(spentAt(loaded.value, s.clock.now()).dayUsd).toBe(1);
    expect(op.tally!.reads).toBe(1);
  });
});
