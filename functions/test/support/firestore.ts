import { randomUUID } from "node:crypto";
import { Firestore } from "@google-cloud/firestore";
import { Metrics } from "../../src/observability/metrics.js";
import { collectionNames } from "../../src/state/firestore.js";
import { type RecentSessionsQuery, StateManager, type StateOptions } from "../../src/state/state-manager.js";
import { captureLogs } from "./logs.js";

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

export function makeState(
  prefix: string,
  overrides: Partial<StateOptions> = {},
  recentSessions?: RecentSessionsQuery,
) {
  const db = emulatorClient();
  const metrics = new Metrics();
  const { log, lines } = captureLogs();
  const state = new StateManager(
    {
      db: () => db,
      names: collectionNames(prefix),
      metrics,
      log,
      limits: { maxMessages: 40, maxBytes: 256 * 1024 },
      cache: { maxEntries: 1000, maxBytes: 32 * 1024 * 1024, ttlMs: 60_000 },
      leaseMs: 60_000,
      warmupSessions: 50,
      ...overrides,
    },
    recentSessions,
  );
  return { state, db, metrics, log, lines };
}

export const text = (t: string) => [{ type: "text", text: t }];
export const answer = (t: string) => [{ role: "assistant" as const, content: [{ type: "text", text: t }] }];
