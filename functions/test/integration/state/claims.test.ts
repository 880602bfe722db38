import { describe, expect, it } from "vitest";
import { resetHistory } from "../../../src/state/conversations.js";
import { FencedError, StoreError } from "../../../src/state/errors.js";
import { type Conversation, ConversationSchema, SessionSchema } from "../../../src/state/schemas.js";
import { LEASE_MARGIN_MS, REQUEST_BUDGET_MS } from "../../../src/timeouts.js";
import { ManualClock } from "../../support/clock.js";
import { answer, makeState, type TestState, text, turn, uid, uniquePrefix } from "../../support/firestore.js";

// Two instances share one manual clock: leases run out only when the test says so.
function instances(n: number, opts: { faulty?: boolean } = {}) {
  const prefix = uniquePrefix();
  const clock = new ManualClock();
  return { clock, all: Array.from({ length: n }, () => makeState(prefix, { clock, ...opts })) };
}

const input = (chatId: number, updateId: number, msg = "hello") => ({
  chatId,
  userId: chatId,
  updateId,
  user: text(msg),
  ratePerMinute: 0,
});

const reply = (chatId: number, updateId: number, t: string) => ({
  chatId,
  userId: chatId,
  updateId,
  reply: answer(t),
  status: "done" as const,
  text: t,
  usage: { inputTokens: 7 },
});

async function claimDoc(s: TestState, updateId: number) {
  return (await s.db.collection(s.state.io.deps.names.updates).doc(String(updateId)).get()).data();
}
async function conversation(s: TestState, chatId: number): Promise<Conversation> {
  const snap = await s.db.collection(s.state.io.deps.names.conversations).doc(String(chatId)).get();
  return ConversationSchema.parse(snap.data());
}
async function usage(s: TestState, userId: number) {
  const snap = await s.db.collection(s.state.io.deps.names.sessions).doc(String(userId)).get();
  return snap.exists ? SessionSchema.parse(snap.data()).usage : null;
}

describe("the claim lifecycle on the Firestore emulator", () => {
  it("a stale owner's completion is refused: after a takeover it can neither store a reply nor usage", async () => {
    const { clock, all } = instances(2);
    const [a, b] = all as [TestState, TestState];
    const chat = uid();
    const updateId = uid();
    const first = await a.state.turns.begin(input(chat, updateId), a.op());
    if (first.kind !== "started") throw new Error(first.kind);
    // While A's lease is live, B is told the update is in flight.
    expect((await b.state.turns.begin(input(chat, updateId), b.op())).kind).toBe("in_flight");
    // A stalls past its lease (its deadline plus the margin): B takes the turn over.
    clock.advance(REQUEST_BUDGET_MS + LEASE_MARGIN_MS + 1);
    const second = await b.state.turns.begin(input(chat, updateId), b.op());
    expect(second).toMatchObject({ kind: "started", resumed: true });
    if (second.kind !== "started") return;
    // A wakes up and tries to finish: fenced, nothing written.
    const stale = await a.state.turns
      .answer(first.fence, reply(chat, updateId, "stale"), a.op())
      .catch((e) => e);
    expect(stale).toBeInstanceOf(FencedError);
    expect(a.lines.some((l) => l.severity === "WARNING" && String(l.message).includes("claim lost"))).toBe(
      true,
    );
    expect((await claimDoc(a, updateId))!.state).toBe("processing");
    expect((await conversation(a, chat)).turns[0]!.reply).toEqual([]);
    expect(await usage(a, chat)).toBeNull();
    // B's completion goes through, and its fence moves on with it.
    await b.state.turns.answer(second.fence, reply(chat, updateId, "fresh"), b.op());
    expect((await claimDoc(b, updateId))!).toMatchObject({ state: "answered", reply: "fresh" });
    expect((await conversation(b, chat)).turns).toHaveLength(1);
  });

  it("a released claim is resumed by the next delivery at once, with no lease to wait out", async () => {
    const { all } = instances(2);
    const [a, b] = all as [TestState, TestState];
    const chat = uid();
    const updateId = uid();
    const first = await a.state.turns.begin(input(chat, updateId), a.op());
    if (first.kind !== "started") throw new Error(first.kind);
    await a.state.claims.release(first.fence, a.op());
    expect((await claimDoc(a, updateId))!.state).toBe("released");
    // Same clock time: the lease is still "live", but a released claim is nobody's.
    const resumed = await b.state.turns.begin(input(chat, updateId), b.op());
    expect(resumed).toMatchObject({ kind: "started", resumed: true });
    expect((await conversation(b, chat)).turns).toHaveLength(1); // the message is not stored twice
  });

  it("an answer commit whose acknowledgement is lost is not repeated: usage counts once", async () => {
    const { all } = instances(1, { faulty: true });
    const [s] = all as [TestState];
    const chat = uid();
    const updateId = uid();
    const op = s.op();
    const begun = await s.state.turns.begin(input(chat, updateId), op);
    if (begun.kind !== "started") throw new Error(begun.kind);
    s.faulty!.inject({ kind: "lost_ack" });
    const fence = await s.state.turns.answer(begun.fence, reply(chat, updateId, "once"), op);
    expect(fence.updateTime.isEqual(begun.fence.updateTime)).toBe(false);
    expect((await usage(s, chat))!).toMatchObject({ messages: 1, inputTokens: 7 });
    // The fence it returned is current: the delivery's next write goes through.
    await s.state.claims.advance(fence, { state: "done", sent: 1 }, op);
    expect((await claimDoc(s, updateId))!.state).toBe("done");
  });

  it("a begin commit with an unknown outcome is resolved by the retry within the call", async () => {
    const { all } = instances(1, { faulty: true });
    const [a] = all as [TestState];
    const chat = uid();
    a.faulty!.inject({ kind: "lost_ack" });
    expect(await a.state.turns.begin(input(chat, uid()), a.op())).toMatchObject({ kind: "started" });
    expect((await conversation(a, chat)).turns).toHaveLength(1);
  });

  it("a begin commit with an unknown outcome is resumed by this instance's own redelivery", async () => {
    const { all } = instances(2, { faulty: true });
    const [a, b] = all as [TestState, TestState];
    const chat = uid();
    const updateId = uid();
    // The commit lands but its answer is lost, and the retries within the call fail too.
    a.faulty!.inject({ kind: "lost_ack" });
    a.faulty!.inject({ kind: "fail" }, { times: 2 });
    const err = await a.state.turns.begin(input(chat, updateId), a.op()).catch((e: unknown) => e);
    expect((err as StoreError).transient).toBe(true); // the webhook answers 503
    // Another instance sees a live owner; this instance knows the owner is itself.
    expect((await b.state.turns.begin(input(chat, updateId), b.op())).kind).toBe("in_flight");
    expect(await a.state.turns.begin(input(chat, updateId), a.op())).toMatchObject({
      kind: "started",
      resumed: true,
    });
  });

  it("undelivered: the next delivery takes delivery over at once, from the first unsent part", async () => {
    const { all } = instances(2);
    const [a, b] = all as [TestState, TestState];
    const chat = uid();
    const updateId = uid();
    const op = a.op();
    const begun = await a.state.turns.begin(input(chat, updateId), op);
    if (begun.kind !== "started") throw new Error(begun.kind);
    let fence = await a.state.turns.answer(begun.fence, reply(chat, updateId, "part one\n\npart two"), op);
    fence = await a.state.claims.advance(fence, { sent: 1 }, op);
    await a.state.claims.advance(fence, { state: "undelivered", sent: 1 }, op);
    const next = await b.state.turns.begin(input(chat, updateId), b.op());
    expect(next).toMatchObject({ kind: "deliver", claim: { sent: 1, reply: "part one\n\npart two" } });
    expect((await claimDoc(b, updateId))!.state).toBe("answered"); // B is the sender now
    // A, fenced out, cannot mark anything any more.
    await expect(a.state.claims.advance(fence, { state: "done" }, a.op())).rejects.toBeInstanceOf(
      FencedError,
    );
  });

  it("answered under a live lease is in flight; after the lease the stored reply is delivered again", async () => {
    const { clock, all } = instances(2);
    const [a, b] = all as [TestState, TestState];
    const chat = uid();
    const updateId = uid();
    await turn(a, chat, chat, updateId, "q"); // answered: A may be sending right now
    expect((await b.state.turns.begin(input(chat, updateId, "q"), b.op())).kind).toBe("in_flight");
    clock.advance(REQUEST_BUDGET_MS + LEASE_MARGIN_MS + 1); // A died before it could say "done"
    const taken = await b.state.turns.begin(input(chat, updateId, "q"), b.op());
    expect(taken).toMatchObject({ kind: "deliver", claim: { reply: "re: q", sent: 0 } });
    if (taken.kind !== "deliver") return;
    await b.state.claims.advance(taken.fence, { state: "done", sent: 1 }, b.op());
    expect((await b.state.turns.begin(input(chat, updateId, "q"), b.op())).kind).toBe("done");
  });

  it("a command's effect and its answer commit together; a failed commit writes neither", async () => {
    const { all } = instances(1, { faulty: true });
    const [s] = all as [TestState];
    const chat = uid();
    await turn(s, chat, chat, uid(), "forget me");
    const updateId = uid();
    const run = () => {
      const effect = s.state.conversations.edit({ chatId: chat }, resetHistory);
      return s.state.claims.openAnswered(
        { updateId, chatId: chat, reply: () => (effect.before().turns.length > 0 ? "reset" : "nothing") },
        s.op(),
        effect,
      );
    };
    // Twice the transient budget: the operation gives up (the webhook answers 503).
    s.faulty!.inject({ kind: "fail" }, { times: 3 });
    await expect(run()).rejects.toBeInstanceOf(StoreError);
    expect(await claimDoc(s, updateId)).toBeUndefined();
    expect((await conversation(s, chat)).turns).toHaveLength(1);
    // The redelivery completes it, once.
    const done = await run();
    expect(done).toMatchObject({ reply: "reset" });
    expect((await conversation(s, chat)).turns).toHaveLength(0);
    expect((await claimDoc(s, updateId))!).toMatchObject({ state: "answered", reply: "reset" });
    // Delivered; a further redelivery is a duplicate that changes nothing.
    if (!("opened" in done)) throw new Error("not opened");
    await s.state.claims.advance(done.opened, { state: "done", sent: 1 }, s.op());
    const again = await run();
    expect(again).toMatchObject({ seen: { next: "done" } });
  });
});
