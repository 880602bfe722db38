import { Timestamp } from "@google-cloud/firestore";
import { describe, expect, it } from "vitest";
import { StoreError } from "../../../src/state/errors.js";
import { jsonBytes, toModelMessages } from "../../../src/state/history.js";
import { type Conversation, ConversationSchema } from "../../../src/state/schemas.js";
import { ManualClock } from "../../support/clock.js";
import { answer, makeState, type TestState, text, turn, uid, uniquePrefix } from "../../support/firestore.js";

async function stored(s: TestState, chatId: number): Promise<Conversation> {
  const snap = await s.db.collection(`${s.state.io.deps.names.conversations}`).doc(String(chatId)).get();
  return ConversationSchema.parse(snap.data());
}

const begin = (s: TestState, chatId: number, updateId: number, msg: string, ratePerMinute = 0) =>
  s.state.turns.begin({ chatId, userId: chatId, updateId, user: text(msg), ratePerMinute }, s.op());

describe("text turns on the Firestore emulator (begin, answer)", () => {
  it("a warm text turn costs 0 reads and 2 commits; the user message is durable before the reply", async () => {
    const s = makeState(uniquePrefix());
    const chat = uid();
    await turn(s, chat, chat, uid(), "first"); // cold: one read to learn the chat is new
    const reads = s.metrics.get("firestore_reads");
    const commits = s.metrics.get("firestore_commits");
    const updateId = uid();
    const op = s.op();
    const begun = await s.state.turns.begin(
      { chatId: chat, userId: chat, updateId, user: text("second"), ratePerMinute: 0 },
      op,
    );
    if (begun.kind !== "started") throw new Error(begun.kind);
    // Durable before any model call: another client sees the pending turn and the claim.
    const mid = await stored(s, chat);
    expect(mid.turns.at(-1)).toMatchObject({ updateId, status: "pending" });
    await s.state.turns.answer(
      begun.fence,
      { chatId: chat, userId: chat, updateId, reply: answer("done"), status: "done", text: "done" },
      op,
    );
    expect(s.metrics.get("firestore_reads") - reads).toBe(0);
    expect(s.metrics.get("firestore_commits") - commits).toBe(2);
    expect(op.tally).toEqual({ reads: 0, commits: 2, writes: 5 });
    const final = await stored(s, chat);
    expect(final.turns.map((t) => t.status)).toEqual(["done", "done"]);
    const claim = await s.db.collection(s.state.io.deps.names.updates).doc(String(updateId)).get();
    // The reply is stored on the claim before the first send; "done" only after delivery.
    expect(claim.get("state")).toBe("answered");
    expect(claim.get("reply")).toBe("done");
    expect(claim.get("expireAt")).toBeInstanceOf(Timestamp);
  });

  it("a delivery receipt rides on the next answer commit, never on the claim commit before the model", async () => {
    // A hand-driven clock: the receipts' own flush never fires, so only riding can land them.
    const s = makeState(uniquePrefix(), { clock: new ManualClock() });
    const chat = uid();
    const first = uid();
    const delivered = await turn(s, chat, chat, first, "first");
    s.state.receipts.add(delivered, 1); // the first reply was sent
    const claimState = async (id: number) =>
      (await s.db.collection(s.state.io.deps.names.updates).doc(String(id)).get()).get("state");

    const second = uid();
    const beginOp = s.op();
    const begun = await s.state.turns.begin(
      { chatId: chat, userId: chat, updateId: second, user: text("second"), ratePerMinute: 0 },
      beginOp,
    );
    if (begun.kind !== "started") throw new Error(begun.kind);
    // Claim + message only: the first claim is still "answered", its receipt still waiting.
    expect(beginOp.tally).toEqual({ reads: 0, commits: 1, writes: 2 });
    expect(await claimState(first)).toBe("answered");
    expect(s.state.receipts.size).toBe(1);

    const answerOp = s.op();
    await s.state.turns.answer(
      begun.fence,
      { chatId: chat, userId: chat, updateId: second, reply: answer("two"), status: "done", text: "two" },
      answerOp,
    );
    // Reply + claim + usage, and the receipt: one commit.
    expect(answerOp.tally).toEqual({ reads: 0, commits: 1, writes: 4 });
    expect(await claimState(first)).toBe("done");
    expect(s.state.receipts.size).toBe(0);
  });

  it("each receipt gets its whole window to ride: the flush waits for the oldest receipt left", async () => {
    const clock = new ManualClock();
    const s = makeState(uniquePrefix(), { clock });
    const chat = uid();
    const claimState = async (id: number) =>
      (await s.db.collection(s.state.io.deps.names.updates).doc(String(id)).get()).get("state");
    const [a, b] = [uid(), uid()];
    s.state.receipts.add(await turn(s, chat, chat, a, "a"), 1); // t = 0: the flush is due at 250
    clock.advance(200);
    const fenceB = await turn(s, chat, chat, b, "b"); // a's receipt rides on b's answer commit
    expect(await claimState(a)).toBe("done");
    s.state.receipts.add(fenceB, 1); // t = 200
    clock.advance(60); // t = 260: the timer set for a fires; b has waited 60 ms, so it waits on
    await s.state.background.drain();
    expect([await claimState(b), s.state.receipts.size]).toEqual(["answered", 1]);
    clock.advance(190); // t = 450: b has waited 250 ms, flushed on its own
    await s.state.background.drain();
    expect([await claimState(b), s.state.receipts.size]).toEqual(["done", 0]);
  });

  it("flush() resolves once every receipt added before it has landed, also those the timer's flush took", async () => {
    const clock = new ManualClock();
    const s = makeState(uniquePrefix(), { clock });
    const chat = uid();
    const id = uid();
    s.state.receipts.add(await turn(s, chat, chat, id, "a"), 1);
    clock.advance(250); // the timer's flush takes the receipt and commits it in the background
    expect(s.state.receipts.size).toBe(0);
    await s.state.receipts.flush(); // nothing left to take: it waits for the flush under way
    const claim = await s.db.collection(s.state.io.deps.names.updates).doc(String(id)).get();
    expect(claim.get("state")).toBe("done");
  });

  it("two instances appending to one chat concurrently lose nothing, keep update order and the cap", async () => {
    const prefix = uniquePrefix();
    const a = makeState(prefix, { limits: { maxMessages: 30, maxBytes: 256 * 1024 } });
    const b = makeState(prefix, { limits: { maxMessages: 30, maxBytes: 256 * 1024 } });
    const chat = uid();
    const ids = Array.from({ length: 12 }, () => uid());
    await Promise.all(ids.map((id, i) => turn(i % 2 === 0 ? a : b, chat, chat, id, `m${i}`)));
    const final = await stored(a, chat);
    // 12 turns x 2 messages = 24 <= 30: nothing trimmed, nothing lost.
    expect(final.turns.map((t) => t.updateId)).toEqual([...ids].sort((x, y) => x - y));
    expect(final.turns.every((t) => t.status === "done")).toBe(true);
    expect(final.version).toBe(24); // every begin and answer committed exactly once
    const conflicts = a.metrics.get("tx_conflicts") + b.metrics.get("tx_conflicts");
    expect(conflicts).toBeGreaterThan(0); // the race really happened and was resolved
  });

  it("enforces the cap on write by count and bytes, with no creep, over many turns", async () => {
    const limits = { maxMessages: 7, maxBytes: 3_000 };
    const s = makeState(uniquePrefix(), { limits });
    const chat = uid();
    for (let i = 0; i < 25; i++) await turn(s, chat, chat, uid(), `message ${i} ${"x".repeat(i * 20)}`);
    const final = await stored(s, chat);
    const messages = toModelMessages(final.turns);
    expect(messages.length).toBeLessThanOrEqual(7);
    expect(jsonBytes(final.turns)).toBeLessThanOrEqual(3_000);
    expect(messages[0]!.role).toBe("user");
    expect(messages.map((m) => m.role)).toEqual(messages.map((_, i) => (i % 2 === 0 ? "user" : "assistant")));
    expect(final.turns.at(-1)!.user[0]).toMatchObject({ text: expect.stringContaining("message 24") });
  });

  it("20 concurrent deliveries of one text update on 4 instances start exactly one turn", async () => {
    const prefix = uniquePrefix();
    const instances = Array.from({ length: 4 }, () => makeState(prefix));
    const chat = uid();
    const updateId = uid();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => begin(instances[i % 4]!, chat, updateId, "once")),
    );
    expect(results.filter((r) => r.kind === "started")).toHaveLength(1);
    // The others found a live owner: Telegram is asked to come back (503), nobody waits.
    expect(results.filter((r) => r.kind === "in_flight")).toHaveLength(19);
    const final = await stored(instances[0]!, chat);
    expect(final.turns).toHaveLength(1);
  });

  it("a redelivery of a turn in flight elsewhere is answered at once with one claim read, not a poll", async () => {
    const prefix = uniquePrefix();
    const a = makeState(prefix);
    const b = makeState(prefix);
    const chat = uid();
    const updateId = uid();
    expect((await begin(a, chat, updateId, "in flight")).kind).toBe("started");
    const reads = b.metrics.get("firestore_reads");
    expect((await begin(b, chat, updateId, "in flight")).kind).toBe("in_flight");
    // One read to learn the chat is new (cold L1), one getAll of claim + conversation.
    expect(b.metrics.get("firestore_reads") - reads).toBe(3);
  });

  it("a rejected write leaves L1 and Firestore consistent", async () => {
    // HISTORY_MAX_BYTES is capped at 900 KiB by config; here the store is built
    // without that guard so Firestore itself rejects the 1 MiB+ document.
    const s = makeState(uniquePrefix(), { limits: { maxMessages: 40, maxBytes: 4 * 1024 * 1024 } });
    const chat = uid();
    await turn(s, chat, chat, uid(), "kept");
    const before = await stored(s, chat);
    const err = await begin(s, chat, uid(), "y".repeat(1_100_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).kind).toBe("invalid_argument");
    expect((err as StoreError).transient).toBe(false);
    // L1 dropped the entry; the next load reads Firestore, which still has the old state.
    const reads = s.metrics.get("firestore_reads");
    const loaded = await s.state.conversations.load({ chatId: chat }, s.op());
    expect(s.metrics.get("firestore_reads") - reads).toBe(1);
    expect(loaded.value!.turns.map((t) => t.updateId)).toEqual(before.turns.map((t) => t.updateId));
    expect(loaded.value!.version).toBe(before.version);
  });

  it("a write that loses a race to another instance invalidates L1 and retries on fresh data", async () => {
    const prefix = uniquePrefix();
    const a = makeState(prefix);
    const b = makeState(prefix);
    const chat = uid();
    await turn(a, chat, chat, uid(), "a1"); // a's L1 now holds the chat
    await turn(b, chat, chat, uid(), "b1"); // b moves Firestore past a's cached copy
    await turn(a, chat, chat, uid(), "a2"); // a's precondition fails, it re-reads and succeeds
    expect(a.metrics.get("tx_conflicts")).toBeGreaterThanOrEqual(1);
    const final = await stored(a, chat);
    expect(final.turns.map((t) => String(t.user[0]!.text))).toEqual(["a1", "b1", "a2"]);
    const cached = await a.state.conversations.load({ chatId: chat }, a.op());
    expect(cached.value!.version).toBe(final.version);
  });

  it("a corrupt conversation document is logged and reset, not thrown", async () => {
    const s = makeState(uniquePrefix());
    const chat = uid();
    await s.db
      .collection(s.state.io.deps.names.conversations)
      .doc(String(chat))
      .set({ chatId: "not a number", turns: "garbage" });
    await turn(s, chat, chat, uid(), "after corruption");
    const final = await stored(s, chat);
    expect(final.chatId).toBe(chat);
    expect(final.turns).toHaveLength(1);
    expect(s.lines.some((l) => l.severity === "WARNING" && l.message === "invalid document reset")).toBe(
      true,
    );
  });

  it("cached values cannot be mutated by callers", async () => {
    const s = makeState(uniquePrefix());
    const chat = uid();
    await turn(s, chat, chat, uid(), "frozen");
    const doc = await s.state.conversations.load({ chatId: chat }, s.op());
    expect(() => {
      (doc.value!.turns as unknown as unknown[]).push({});
    }).toThrow(TypeError);
    expect(() => {
      (doc.value as { version: number }).version = 99;
    }).toThrow(TypeError);
  });

  it("concurrent misses on one key cost one read (single-flight), counted as L2 hits", async () => {
    const prefix = uniquePrefix();
    const s = makeState(prefix);
    const chat = uid();
    await turn(makeState(prefix), chat, chat, uid(), "x"); // written by another instance
    const loads = await Promise.all(
      Array.from({ length: 10 }, () => s.state.conversations.load({ chatId: chat }, s.op())),
    );
    expect(s.metrics.get("firestore_reads")).toBe(1);
    expect(s.metrics.get("l2_hits")).toBe(1);
    expect(new Set(loads).size).toBe(1);
    await s.state.conversations.load({ chatId: uid() }, s.op());
    expect(s.metrics.get("l2_misses")).toBe(1);
  });

  it("rate limit per user: the message over the limit is refused and not stored; a redelivery is not", async () => {
    const s = makeState(uniquePrefix());
    const chat = uid();
    const first = uid();
    for (let i = 0; i < 3; i++) {
      const r = await begin(s, chat, i === 0 ? first : uid(), `r${i}`, 3);
      expect(r.kind).toBe("started");
    }
    const over = await begin(s, chat, uid(), "too many", 3);
    expect(over.kind).toBe("rate_limited");
    expect((await stored(s, chat)).turns).toHaveLength(3);
    // The first update, delivered again, is not a new message: it is in flight, not refused.
    expect((await begin(s, chat, first, "r0", 3)).kind).toBe("in_flight");
  });

  it("a message delivered late, older than what was trimmed, is answered but not stored", async () => {
    const s = makeState(uniquePrefix(), { limits: { maxMessages: 6, maxBytes: 256 * 1024 } });
    const chat = uid();
    const late = uid(); // its first delivery failed; Telegram brings it back after newer ones
    for (let i = 0; i < 5; i++) await turn(s, chat, chat, uid(), `m${i}`);
    const before = await stored(s, chat);
    expect(before.trimmedThrough).toBeGreaterThan(late);
    const begun = await begin(s, chat, late, "late");
    expect(begun).toMatchObject({ kind: "started" }); // answered...
    const after = await stored(s, chat);
    expect(after.turns.map((t) => t.updateId)).toEqual(before.turns.map((t) => t.updateId)); // ...not stored
  });
});
