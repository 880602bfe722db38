// The measured scenarios. Each takes a factory `make(prefix, db?)` for a system,
// so both systems run the same script with the same updates, each under its own
// collection prefix and with its own chats.

import { randomUUID } from "node:crypto";
import { Deadline, systemClock } from "../../lib/timeouts.js";
import { median } from "./report.mjs";
import { delta, emulatorClient, newChat, textUpdate, token } from "./systems.mjs";

export const newPrefix = (tag) => `bench_${tag}_${randomUUID().slice(0, 6)}_`;

/** Warms JIT, sockets and gRPC channels on both code paths; nothing is kept. */
export async function warmUp(make, turns) {
  const sys = await make(newPrefix("warm"));
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      const chat = newChat();
      for (let i = 0; i < turns; i++) await sys.handle(textUpdate(chat, token(chat, i)));
    }),
  );
  await sys.close();
}

/**
 * Figures 1 and 7: one cold turn, then `warm` warm turns one after another in the
 * same chat. Counters are per warm turn; the update→model-request time is the
 * webhook call vs the fake's arrival timestamp (both Date.now()), and also vs the
 * SDK call start (performance.now(), sub-millisecond).
 */
export async function warmTurns(make, fakes, warm) {
  const sys = await make(newPrefix("warm1"));
  const chat = newChat();
  await sys.handle(textUpdate(chat, token(chat, 0)));
  const before = sys.counters();
  const turns = [];
  for (let i = 1; i <= warm; i++) {
    const tok = token(chat, i);
    const m = await sys.handle(textUpdate(chat, tok));
    const arrival = fakes.anthropic.requestsContaining(tok)[0]?.at;
    turns.push({
      readsBeforeModel: m.readsBeforeModel,
      toFakeArrivalMs: arrival === undefined ? Number.NaN : arrival - m.startedWall,
      toSdkCallMs: m.modelStartedAt === null ? Number.NaN : m.modelStartedAt - m.started,
      wallMs: m.wallMs,
    });
  }
  const d = delta(sys.counters(), before);
  const stages = sys.latency?.() ?? null;
  await sys.close();
  return {
    warmTurns: warm,
    stages,
    perTurn: { reads: d.reads / warm, writes: d.writes / warm, commits: d.commits / warm },
    readsBeforeModelMax: Math.max(...turns.map((t) => t.readsBeforeModel ?? Number.NaN)),
    turns,
    failures: sys.failures.length,
  };
}

/** Replies that answer `tok` (the fake echoes the last user text, so it ends with the token). */
function repliesFor(fakes, chat, tok) {
  return fakes.telegram.messagesTo(chat).filter((p) => String(p.text).trim().endsWith(tok)).length;
}

/** Lost / duplicated accounting for a chat that was sent `tokens`. */
async function account(sys, fakes, inspector, chat, tokens) {
  const stored = await sys.storedUserTexts(inspector, chat);
  const storedCount = new Map();
  for (const t of stored) storedCount.set(t, (storedCount.get(t) ?? 0) + 1);
  const lost = tokens.filter((t) => !storedCount.has(t)).length;
  const storedTwice = tokens.filter((t) => (storedCount.get(t) ?? 0) > 1).length;
  const replies = tokens.map((t) => repliesFor(fakes, chat, t));
  return {
    sent: tokens.length,
    stored: tokens.length - lost,
    lost,
    storedTwice,
    unanswered: replies.filter((n) => n === 0).length,
    repliedTwice: replies.filter((n) => n > 1).length,
  };
}

/**
 * Figure 2: 20 updates one after another in a fresh chat, then 20 concurrent
 * updates in another fresh chat, on one instance.
 */
export async function burst(make, fakes, n) {
  const inspector = emulatorClient();
  const sys = await make(newPrefix("burst"));
  const seqChat = newChat();
  const seqTokens = Array.from({ length: n }, (_, i) => token(seqChat, i));
  let started = performance.now();
  for (const t of seqTokens) await sys.handle(textUpdate(seqChat, t));
  const sequentialMs = performance.now() - started;

  const burstChat = newChat();
  const burstTokens = Array.from({ length: n }, (_, i) => token(burstChat, i));
  const updates = burstTokens.map((t) => textUpdate(burstChat, t));
  const before = sys.counters();
  started = performance.now();
  await Promise.all(updates.map((u) => sys.handle(u)));
  const burstMs = performance.now() - started;
  const d = delta(sys.counters(), before);
  const result = {
    n,
    sequentialMs,
    burstMs,
    ratio: burstMs / sequentialMs,
    sequential: await account(sys, fakes, inspector, seqChat, seqTokens),
    burst: await account(sys, fakes, inspector, burstChat, burstTokens),
    conflicts: d.conflicts,
    retries: d.retries,
    failures: sys.failures.length,
  };
  await sys.close();
  return result;
}

/**
 * Figure 3: two instances (separate Firestore clients, same prefix) on one chat.
 * (a) `each` distinct updates to each instance, all at once, alternating;
 * (b) redelivery: `redelivered` updates each delivered to both instances at once.
 */
export async function twoInstances(make, fakes, each, redelivered) {
  const inspector = emulatorClient();
  const prefix = newPrefix("two");
  const a = await make(prefix, emulatorClient());
  const b = await make(prefix, emulatorClient());
  const sum = () => {
    const x = a.counters();
    const y = b.counters();
    return { conflicts: x.conflicts + y.conflicts, retries: x.retries + y.retries };
  };

  const chat = newChat();
  const tokens = Array.from({ length: 2 * each }, (_, i) => token(chat, i));
  let before = sum();
  await Promise.all(tokens.map((t, i) => (i % 2 === 0 ? a : b).handle(textUpdate(chat, t))));
  const split = {
    ...(await account(a, fakes, inspector, chat, tokens)),
    conflicts: sum().conflicts - before.conflicts,
    retries: sum().retries - before.retries,
  };

  const chat2 = newChat();
  const tokens2 = Array.from({ length: redelivered }, (_, i) => token(chat2, i));
  before = sum();
  await Promise.all(
    tokens2.flatMap((t) => {
      const u = textUpdate(chat2, t);
      return [a.handle(u), b.handle(structuredClone(u))];
    }),
  );
  const redelivery = {
    ...(await account(a, fakes, inspector, chat2, tokens2)),
    conflicts: sum().conflicts - before.conflicts,
    retries: sum().retries - before.retries,
  };
  const failures = a.failures.length + b.failures.length;
  const redeliveries = (a.redeliveries?.() ?? 0) + (b.redeliveries?.() ?? 0);
  await Promise.all([a.close(), b.close()]);
  return { split, redelivery, failures, redeliveries };
}

/**
 * Figure 4: `chats` chats, one worker per chat sending `perChat` updates one after
 * another, all workers at once (concurrency = chats). Overhead per turn = its wall
 * time minus the time spent inside the model call.
 */
export async function load(make, chats, perChat) {
  const sys = await make(newPrefix("load"));
  const before = sys.counters();
  const overhead = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: chats }, async () => {
      const chat = newChat();
      for (let i = 0; i < perChat; i++) {
        const m = await sys.handle(textUpdate(chat, token(chat, i)));
        overhead.push(m.wallMs - m.modelMs);
      }
    }),
  );
  const wallMs = performance.now() - started;
  const cpuUsed = process.cpuUsage(cpu);
  const d = delta(sys.counters(), before);
  const stages = sys.latency?.() ?? null;
  await sys.close();
  const turns = chats * perChat;
  return {
    concurrency: chats,
    turns,
    wallMs,
    turnsPerSec: turns / (wallMs / 1000),
    overhead,
    // This process's CPU (the system under test plus both fakes) per turn.
    cpuMsPerTurn: (cpuUsed.user + cpuUsed.system) / 1000 / turns,
    firestore: d,
    stages,
    failures: sys.failures.length,
  };
}

/** Figure 4 over several rounds: median round throughput, overhead pooled over all turns. */
export function combineLoad(rounds) {
  const tps = rounds.map((r) => r.turnsPerSec);
  const mid = rounds[tps.indexOf(median(tps))] ?? rounds[0];
  return {
    rounds: rounds.length,
    concurrency: mid.concurrency,
    turns: mid.turns,
    turnsPerSec: median(tps),
    turnsPerSecRounds: tps,
    overhead: rounds.flatMap((r) => r.overhead),
    cpuMsPerTurn: median(rounds.map((r) => r.cpuMsPerTurn)),
    firestore: mid.firestore,
    stages: mid.stages,
    failures: rounds.reduce((n, r) => n + r.failures, 0),
  };
}

/**
 * Figure 5: L1 hit latency for a 20-message conversation (10 turns), timed per
 * call with process.hrtime.bigint(): the cache lookup itself, and the awaited
 * ConversationStore.load() a turn makes.
 */
export async function l1Latency(makeOurs, iterations) {
  const sys = await makeOurs(newPrefix("l1"));
  const chat = newChat();
  for (let i = 0; i < 10; i++) await sys.handle(textUpdate(chat, token(chat, i)));
  const { state } = sys.app;
  const op = { log: sys.app.log, deadline: Deadline.after(systemClock, 3_600_000) };
  const key = `conversations/${chat}`;
  const doc = state.cache.get(key);
  const messages = (doc?.value?.turns ?? []).reduce((n, t) => n + 1 + t.reply.length, 0);
  const get = [];
  const loadT = [];
  for (let i = 0; i < 10_000; i++) state.cache.get(key); // JIT warm-up, not timed
  for (let i = 0; i < 10_000; i++) await state.conversations.load(chat, op);
  let misses = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    const hit = state.cache.get(key);
    const t1 = process.hrtime.bigint();
    if (!hit) misses++;
    get.push(Number(t1 - t0) / 1000);
  }
  const readsBefore = sys.counters().reads;
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await state.conversations.load(chat, op);
    const t1 = process.hrtime.bigint();
    loadT.push(Number(t1 - t0) / 1000);
  }
  const reads = sys.counters().reads - readsBefore;
  await sys.close();
  return { messages, iterations, misses, firestoreReadsDuringLoads: reads, getUs: get, loadUs: loadT };
}

/** For comparison in figure 5: the baseline's per-update session read (it has no L1). */
export async function baselineReadLatency(makeBaseline, iterations) {
  const sys = await makeBaseline(newPrefix("l1b"));
  const chat = newChat();
  for (let i = 0; i < 10; i++) await sys.handle(textUpdate(chat, token(chat, i)));
  const ref = sys.db.collection(`${sys.prefix}sessions`).doc(String(chat));
  const times = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await ref.get();
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return { iterations, readUs: times };
}

/** Figure 7's yardstick: a Firestore transaction that reads and writes one document. */
export async function transactionRoundTrip(db, n) {
  const ref = db.collection(`${newPrefix("tx")}docs`).doc("counter");
  await ref.set({ n: 0 });
  const times = [];
  for (let i = 0; i < n + 3; i++) {
    const t0 = performance.now();
    await db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      tx.set(ref, { n: (snap.get("n") ?? 0) + 1 });
    });
    if (i >= 3) times.push(performance.now() - t0); // the first few warm the channel
  }
  return times;
}
