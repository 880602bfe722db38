import { Firestore } from "@google-cloud/firestore";
import { type FakeAnthropic, startFakeAnthropic } from "../../devtools/fake-anthropic.js";
import { type FakeTelegram, startFakeTelegram } from "../../devtools/fake-telegram.js";
import { type AdminApp, type App, type AppEdges, createAdminApp, createApp } from "../../src/app.js";
import { type ConfigSource, parseAdminConfig, parseConfig } from "../../src/config.js";
import { Metrics } from "../../src/observability/metrics.js";
import type { Clock } from "../../src/timeouts.js";
import { FaultyIO } from "./faulty-io.js";
import { emulatorClient, requireEmulator, uniquePrefix } from "./firestore.js";
import { type CapturedLog, captureLogs } from "./logs.js";

export const SECRET = "in-process-secret";

/** Fakes on random ports, for in-process apps (the functions emulator uses fixed ones). */
export async function randomPortFakes(): Promise<{ telegram: FakeTelegram; anthropic: FakeAnthropic }> {
  const [telegram, anthropic] = await Promise.all([startFakeTelegram(), startFakeAnthropic()]);
  return { telegram, anthropic };
}

/** A Firestore client for the emulator, optionally through another address (a proxy). */
export function firestoreAt(address?: string): Firestore {
  requireEmulator();
  if (!address) return emulatorClient();
  // FIRESTORE_EMULATOR_HOST overrides `host` and is read when settings are applied:
  // point it at the proxy just for this client's construction.
  const real = process.env.FIRESTORE_EMULATOR_HOST;
  process.env.FIRESTORE_EMULATOR_HOST = address;
  try {
    const db = new Firestore({ projectId: process.env.GCLOUD_PROJECT ?? "demo-test" });
    db.settings({ ignoreUndefinedProperties: true });
    return db;
  } finally {
    process.env.FIRESTORE_EMULATOR_HOST = real;
  }
}

/**
 * The same app index.ts builds, in this process: real webhook handler, real
 * Firestore emulator (under a unique prefix), real Anthropic SDK and grammY
 * clients talking to the loopback fakes.
 */
export async function inProcessApp(
  fakes: { telegram: FakeTelegram; anthropic: FakeAnthropic },
  opts: {
    config?: ConfigSource;
    db?: Firestore;
    tuning?: AppEdges["tuning"];
    prefix?: string;
    createMessage?: AppEdges["createMessage"];
    clock?: Clock;
    /** Inject a FaultyIO as the Firestore edge (available as `faulty` on the result). */
    faulty?: boolean;
    scheduleAlbumCheck?: AppEdges["scheduleAlbumCheck"];
  } = {},
): Promise<App & { lines: CapturedLog[]; metricsRegistry: Metrics; faulty?: FaultyIO }> {
  const { log, lines } = captureLogs("debug");
  const db = opts.db ?? emulatorClient();
  const config = parseConfig({
    TELEGRAM_BOT_TOKEN: "42:in-process-token",
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    ANTHROPIC_API_KEY: "test-key",
    TELEGRAM_API_ROOT: fakes.telegram.url,
    ANTHROPIC_BASE_URL: fakes.anthropic.url,
    ANTHROPIC_MAX_RETRIES: 0,
    COLLECTION_PREFIX: opts.prefix ?? uniquePrefix(),
    WARMUP_SESSIONS: 0,
    ...opts.config,
  });
  const holder: { io?: FaultyIO } = {};
  const app = await createApp(config, {
    db: () => db,
    log,
    metrics: new Metrics(),
    tuning: opts.tuning,
    createMessage: opts.createMessage,
    clock: opts.clock,
    warmup: false,
    // Album checks are recorded, never sent to Cloud Tasks, unless a test drives them.
    scheduleAlbumCheck: opts.scheduleAlbumCheck ?? (async () => {}),
    ...(opts.faulty ? { io: FaultyIO.factory(holder) } : {}),
  });
  return Object.assign(app, { lines, faulty: holder.io });
}

/** The admin (metrics) function in process: given only its own secret, like in production. */
export async function inProcessAdmin(prefix: string, adminSecret: string): Promise<AdminApp> {
  const { log } = captureLogs("debug");
  const db = emulatorClient();
  return createAdminApp(parseAdminConfig({ ADMIN_SECRET: adminSecret, COLLECTION_PREFIX: prefix }), {
    db: () => db,
    log,
  });
}

export const request = (body: unknown, secret = SECRET) => ({
  method: "POST",
  header: (name: string) => (name.toLowerCase() === "x-telegram-bot-api-secret-token" ? secret : undefined),
  body,
});
