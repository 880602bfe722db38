import { Firestore } from "@google-cloud/firestore";
import { type App, type AppEdges, createApp } from "../../src/app.js";
import { type ConfigSource, parseConfig } from "../../src/config.js";
import { type FakeAnthropic, startFakeAnthropic } from "../../src/devtools/fake-anthropic.js";
import { type FakeTelegram, startFakeTelegram } from "../../src/devtools/fake-telegram.js";
import { Metrics } from "../../src/observability/metrics.js";
import { emulatorClient, requireEmulator, uniquePrefix } from "./firestore.js";
import { captureLogs } from "./logs.js";

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
  } = {},
): Promise<App & { lines: ReturnType<typeof captureLogs>["lines"]; metricsRegistry: Metrics }> {
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
  const app = await createApp(config, {
    db: () => db,
    log,
    metrics: new Metrics(),
    tuning: opts.tuning,
    createMessage: opts.createMessage,
  });
  return Object.assign(app, { lines });
}

export const request = (body: unknown, secret = SECRET) => ({
  method: "POST",
  header: (name: string) => (name.toLowerCase() === "x-telegram-bot-api-secret-token" ? secret : undefined),
  body,
});
