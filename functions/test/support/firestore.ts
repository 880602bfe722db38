import { randomUUID } from "node:crypto";
import { Firestore } from "@google-cloud/firestore";
import type { Logger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { newTally } from "../../src/observability/turn-stats.js";
import { collectionNames } from "../../src/state/firestore.js";
import type { Op } from "../../src/state/op.js";
import { type RecentSessionsQuery, StateManager, type StateOptions } from "../../src/state/state-manager.js";
import { type Clock, Deadline, REQUEST_BUDGET_MS, systemClock } from "../../src/timeouts.js";
import { FaultyIO } from "./faulty-io.js";
import { type CapturedLog, captureLogs } from "./logs.js";

export function requireEmulator(): void {
  if (!process.env.FIRESTORE_EMULATOR_HOST) {
    throw new Error("FIRESTORE_EMULATOR_HOST is not set: run through `npm test` (firebase emulators:exec)");
  }
}

/** A new Firestore client on the emulator: separate clients behave like separate instances. */
export function emulatorClient(): Firestore {
  requireEmulator();
  const db = new Firestore({ projectId: process.env.GCLOUD_PROJECT ?? "demo-test" });
  db.settings({ ignoreUndefinedProperties: true });
  return db;
}

/** A collection prefix unique to one test, so tests never see each other's data. */
export function uniquePrefix(): string {
  return `t${randomUUID().slice(0, 8)}_`;
}

let nextId = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
/** Unique chat/user/update ids per call. */
export function uid(): number {
  return nextId++;
}

export interface TestState {
  state: StateManager;
  db: Firestore;
  metrics: Metrics;
  log: Logger;
  lines: CapturedLog[];
  clock: Clock;
  /** The injected Firestore edge, when the test asked for one. */
  faulty?: FaultyIO;
  /** A request's Op: the logger, a fresh deadline (REQUEST_BUDGET_MS) and a tally. */
  op(budgetMs?: number): Op;
}

export function makeState(
  prefix: string,
  overrides: Partial<StateOptions> & { faulty?: boolean } = {},
  recentSessions?: RecentSessionsQuery,
): TestState {
  const db = emulatorClient();
  const metrics = new Metrics();
  const { log, lines } = captureLogs();
  const clock = overrides.clock ?? systemClock;
  const holder: { io?: FaultyIO } = {};
  const { faulty, ...options } = overrides;
  const state = new StateManager(
    {
      db: () => db,
      names: collectionNames(prefix),
      metrics,
      log,
      limits: { maxMessages: 40, maxBytes: 256 * 1024 },
      cache: { maxEntries: 1000, maxBytes: 32 * 1024 * 1024, ttlMs: 60_000 },
      warmupSessions: 50,
      ...(faulty ? { io: FaultyIO.factory(holder) } : {}),
      ...options,
      clock,
    },
    recentSessions,
  );
  return {
    state,
    db,
    metrics,
    log,
    lines,
    clock,
    faulty: holder.io,
    op: (budgetMs = REQUEST_BUDGET_MS) => ({
      log,
      deadline: Deadline.after(clock, budgetMs),
      tally: newTally(),
    }),
  };
}

export const text = (t: string) => [{ type: "text", text: t }];

export const answer = (t: string) => [{ role: "assistant" as const, content: [{ type: "text", text: t }] }];

/** A whole text turn through the state layer: begin, then answer with `re: <msg>`. */
export async function turn(s: TestState, chatId: number, userId: number, updateId: number, msg: string) {
  const op = s.op();
  const begun = await s.state.turns.begin(
    { chatId, userId, updateId, user: text(msg), ratePerMinute: 0 },
    op,
  );
  if (begun.kind !== "started") throw new Error(`expected started, got ${begun.kind}`);
  return s.state.turns.answer(
    begun.fence,
    {
      chatId,
      userId,
      updateId,
      reply: answer(`re: ${msg}`),
      status: "done",
      text: `re: ${msg}`,
      usage: { inputTokens: 10 },
    },
    op,
  );
}
