import { describe, expect, it } from "vitest";
import { startFakeTelegram } from "../../../devtools/fake-telegram.js";
import { RECEIPT_FLUSH_MS } from "../../../src/state/receipts.js";
import { LEASE_MARGIN_MS, REQUEST_BUDGET_MS } from "../../../src/timeouts.js";
import { firestoreAt, inProcessApp, randomPortFakes, request } from "../../support/app.js";
import { ManualClock } from "../../support/clock.js";
import { storedConversation, textUpdate } from "../../support/e2e.js";
import { useFakes } from "../../support/fakes.js";
import { emulatorClient, uid, uniquePrefix } from "../../support/firestore.js";
import { heldModel, until } from "../../support/model.js";

const { telegram, anthropic } = useFakes(randomPortFakes);

// Instances are separate processes with their own clocks; all start at the same time.
const PAST_LEASE = REQUEST_BUDGET_MS + LEASE_MARGIN_MS + 1;

async function claimOf(prefix: string, updateId: number) {
  return (await emulatorClient().collection(`${prefix}updates`).doc(String(updateId)).get()).data();
}

describe("faults, in process (real Firestore emulator, real SDK clients, loopback fakes)", () => {
  it("Firestore unavailable: 503, nothing half-written; the redelivery is answered exactly once", async () => {
    const prefix = uniquePrefix();
    // An instance whose Firestore endpoint refuses connections (port 1 on loopback).
    const down = await inProcessApp(
      { telegram, anthropic },
      { db: firestoreAt("127.0.0.1:1"), prefix, tuning: { callMs: { read: 700, commit: 1_500 } } },
    );
    const chat = uid();
    const update = textUpdate(chat, "while storage is down");
    const first = await down.webhook(request(update));
    expect(first.status).toBe(503);
    expect(anthropic.requests).toHaveLength(0);
    expect(telegram.calls.filter((c) => c.method === "sendMessage")).toHaveLength(0);
    expect(await claimOf(prefix, update.update_id)).toBeUndefined();
    expect(await storedConversation(chat, prefix)).toBeUndefined();
    expect(down.lines.some((l) => l.severity === "WARNING" && l.kind === "unavailable")).toBe(true);

    // Telegram redelivers; Firestore is reachable again (here: from the next instance).
    const up = await inProcessApp({ telegram, anthropic }, { prefix });
    expect((await up.webhook(request(update))).status).toBe(200);
    expect((await up.webhook(request(update))).status).toBe(200); // and a duplicate of it
    expect(anthropic.requestsContaining("while storage is down")).toHaveLength(1);
    expect(telegram.messagesTo(chat)).toHaveLength(1);
    await Promise.all([down.shutdown().catch(() => {}), up.shutdown()]);
  });

  it("the reply cannot be stored: the claim is released and the redelivery resumes at once", async () => {
    const prefix = uniquePrefix();
    const clock = new ManualClock();
    const a = await inProcessApp({ telegram, anthropic }, { prefix, clock, faulty: true });
    const chat = uid();
    const update = textUpdate(chat, "store me later");
    // Every attempt to store the reply fails (3 = the transient budget); releasing works.
    a.faulty!.inject(
      { kind: "fail" },
      { times: 3, when: (paths) => paths.some((p) => p.includes("sessions/")) },
    );
    expect((await a.webhook(request(update))).status).toBe(503);
    expect((await claimOf(prefix, update.update_id))!.state).toBe("released");
    expect(telegram.messagesTo(chat)).toHaveLength(0);
    // No lease to wait out: the clock has not moved, another instance resumes the turn now.
    const b = await inProcessApp({ telegram, anthropic }, { prefix, clock });
    expect((await b.webhook(request(update))).status).toBe(200);
    expect(telegram.messagesTo(chat).map((m) => m.text)).toEqual(["echo: store me later"]);
    // The model ran twice (nothing of the first run was kept); the user saw one reply.
    expect(anthropic.requestsContaining("store me later")).toHaveLength(2);
    const conv = await storedConversation(chat, prefix);
    expect(conv!.turns).toHaveLength(1);
    expect(conv!.turns[0]!.status).toBe("done");
  });

  it("Firestore gone after the model answered: the user still gets the answer, with a note", async () => {
    const prefix = uniquePrefix();
    const a = await inProcessApp({ telegram, anthropic }, { prefix, faulty: true });
    const chat = uid();
    const update = textUpdate(chat, "answer anyway");
    // The claim + message commit (2 documents) passes; storing the reply (3 documents)
    // and releasing the claim (1 document) fail, 3 attempts each.
    a.faulty!.inject({ kind: "fail" }, { times: 6, when: (paths) => paths.length !== 2 });
    expect((await a.webhook(request(update))).status).toBe(200);
    const [sent] = telegram.messagesTo(chat).map((m) => String(m.text));
    expect(sent).toContain("echo: answer anyway");
    expect(sent).toContain("couldn't save this exchange");
    expect(
      a.lines.some(
        (l) => l.severity === "ERROR" && l.message === "turn not persisted; answering without storing it",
      ),
    ).toBe(true);
  });

  it("a stale owner is fenced: after a takeover it neither stores nor sends its late answer", async () => {
    const prefix = uniquePrefix();
    const slow = heldModel("late answer");
    const a = await inProcessApp(
      { telegram, anthropic },
      { prefix, createMessage: slow.createMessage, clock: new ManualClock() },
    );
    const chat = uid();
    const update = textUpdate(chat, "who answers?");
    const first = a.webhook(request(update));
    await until(() => slow.calls.length === 1, "A reached the model");
    // A is stuck (a paused process). B's clock runs past A's lease and B takes the turn over.
    const bClock = new ManualClock();
    const b = await inProcessApp({ telegram, anthropic }, { prefix, clock: bClock });
    expect((await b.webhook(request(update))).status).toBe(503); // lease live: in flight
    bClock.advance(PAST_LEASE);
    expect((await b.webhook(request(update))).status).toBe(200);
    expect(telegram.messagesTo(chat).map((m) => m.text)).toEqual(["echo: who answers?"]);
    // A wakes up with its answer: its commit is fenced, it sends nothing, it answers 200.
    slow.release();
    expect((await first).status).toBe(200);
    expect(telegram.messagesTo(chat)).toHaveLength(1);
    expect(a.lines.some((l) => l.severity === "WARNING" && String(l.message).includes("claim lost"))).toBe(
      true,
    );
    expect((await storedConversation(chat, prefix))!.turns[0]!.reply).toEqual([
      { role: "assistant", content: [{ type: "text", text: "echo: who answers?" }] },
    ]);
  });

  it("a 90 s turn outlives Telegram's patience: redeliveries get 503 at once, no second turn, one reply", async () => {
    const prefix = uniquePrefix();
    const clock = new ManualClock();
    const model = heldModel("worth the wait");
    const a = await inProcessApp(
      { telegram, anthropic },
      { prefix, clock, createMessage: model.createMessage },
    );
    const b = await inProcessApp({ telegram, anthropic }, { prefix, clock });
    const chat = uid();
    const update = textUpdate(chat, "think for 90 s");
    const first = a.webhook(request(update));
    await until(() => model.calls.length === 1, "the turn reached the model");
    // Telegram gave up on the first connection after ~60 s and redelivers, to A and to B.
    clock.advance(60_000);
    expect((await a.webhook(request(update))).status).toBe(503); // same instance: no read, no wait
    expect((await b.webhook(request(update))).status).toBe(503); // other instance: one claim read
    clock.advance(30_000);
    model.release();
    expect((await first).status).toBe(200); // Telegram no longer listens; the user has the reply
    expect(telegram.messagesTo(chat).map((m) => m.text)).toEqual(["worth the wait"]);
    // A knows it delivered; B must wait for A's delivery receipt (written off the request path).
    expect((await a.webhook(request(update))).status).toBe(200);
    expect((await b.webhook(request(update))).status).toBe(503);
    clock.advance(RECEIPT_FLUSH_MS);
    await a.state.background.drain();
    expect((await b.webhook(request(update))).status).toBe(200);
    expect(model.calls).toHaveLength(1);
    expect(anthropic.requests).toHaveLength(0);
    expect(telegram.messagesTo(chat)).toHaveLength(1);
    expect((await claimOf(prefix, update.update_id))!.state).toBe("done");
  });

  it("died after storing the reply, before sending it: after the lease the reply is sent, no model call", async () => {
    const prefix = uniquePrefix();
    const chat = uid();
    const update = textUpdate(chat, "persisted then crashed");
    // A's Bot API never answers (the process is dead from Telegram's point of view) and
    // A's clock never moves, so A never gives up: it is simply gone.
    const deadTelegram = await startFakeTelegram();
    deadTelegram.handle("sendMessage", () => new Promise(() => {}));
    const a = await inProcessApp({ telegram: deadTelegram, anthropic }, { prefix, clock: new ManualClock() });
    void a.webhook(request(update));
    // A stores the reply, then hangs in its send.
    await until(
      () => deadTelegram.callsFor("sendMessage").length + deadTelegram.pending("sendMessage") > 0,
      "A is sending",
    );
    expect((await claimOf(prefix, update.update_id))!.state).toBe("answered");
    const bClock = new ManualClock();
    const b = await inProcessApp({ telegram, anthropic }, { prefix, clock: bClock });
    expect((await b.webhook(request(update))).status).toBe(503); // A's lease: it may be sending
    bClock.advance(PAST_LEASE);
    expect((await b.webhook(request(update))).status).toBe(200);
    expect(anthropic.requestsContaining("persisted then crashed")).toHaveLength(1);
    expect(telegram.messagesTo(chat).map((m) => m.text)).toEqual(["echo: persisted then crashed"]);
    expect((await b.webhook(request(update))).status).toBe(200);
    expect(telegram.messagesTo(chat)).toHaveLength(1);
    await deadTelegram.close();
  });
});
