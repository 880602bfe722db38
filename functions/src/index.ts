/**
 * Cloud Functions entry point: the only file that imports firebase-functions.
 * It declares the params, wires them into the app on the first request and
 * exports the HTTPS functions. Everything heavy (grammY, Firestore, the
 * Anthropic SDK) is imported lazily by app.ts, so a cold start imports little.
 *
 * Pipeline: telegramWebhook → secret check → Update validation → per-chat queue
 * → claim + durable user message (1 commit) → Claude agent loop → persist reply
 * (1 commit) → reply to Telegram. See README for the architecture sketch.
 */
import { defineInt, defineSecret, defineString } from "firebase-functions/params";
import { onRequest } from "firebase-functions/v2/https";
import type { App } from "./app.js";
import type { ConfigSource } from "./config.js";

const secrets = {
  TELEGRAM_BOT_TOKEN: defineSecret("TELEGRAM_BOT_TOKEN"),
  TELEGRAM_WEBHOOK_SECRET: defineSecret("TELEGRAM_WEBHOOK_SECRET"),
  ANTHROPIC_API_KEY: defineSecret("ANTHROPIC_API_KEY"),
};
const ADMIN_SECRET = defineSecret("ADMIN_SECRET");

// Every non-secret setting; defaults also live in functions/.env (the emulator
// prompts for any param no .env file sets). Validated by config.ts on first use.
const params = {
  TELEGRAM_API_ROOT: defineString("TELEGRAM_API_ROOT", { default: "https://api.telegram.org" }),
  TELEGRAM_BOT_USERNAME: defineString("TELEGRAM_BOT_USERNAME", { default: "agent_bot" }),
  ANTHROPIC_BASE_URL: defineString("ANTHROPIC_BASE_URL", { default: "https://api.anthropic.com" }),
  ANTHROPIC_MODEL: defineString("ANTHROPIC_MODEL", { default: "claude-sonnet-4-6" }),
  ANTHROPIC_MAX_TOKENS: defineInt("ANTHROPIC_MAX_TOKENS", { default: 1024 }),
  ANTHROPIC_TIMEOUT_MS: defineInt("ANTHROPIC_TIMEOUT_MS", { default: 60000 }),
  ANTHROPIC_MAX_RETRIES: defineInt("ANTHROPIC_MAX_RETRIES", { default: 2 }),
  ALLOWED_USER_IDS: defineString("ALLOWED_USER_IDS", { default: "" }),
  HISTORY_MAX_MESSAGES: defineInt("HISTORY_MAX_MESSAGES", { default: 40 }),
  HISTORY_MAX_BYTES: defineInt("HISTORY_MAX_BYTES", { default: 262144 }),
  COLLECTION_PREFIX: defineString("COLLECTION_PREFIX", { default: "" }),
  RATE_LIMIT_PER_MINUTE: defineInt("RATE_LIMIT_PER_MINUTE", { default: 20 }),
  MAX_INPUT_CHARS: defineInt("MAX_INPUT_CHARS", { default: 4000 }),
  MAX_TOOL_ITERATIONS: defineInt("MAX_TOOL_ITERATIONS", { default: 6 }),
  CACHE_TTL_SECONDS: defineInt("CACHE_TTL_SECONDS", { default: 300 }),
  WARMUP_SESSIONS: defineInt("WARMUP_SESSIONS", { default: 200 }),
  LOG_LEVEL: defineString("LOG_LEVEL", { default: "info" }),
};

function readParams(withAdmin: boolean): ConfigSource {
  const source: ConfigSource = {};
  for (const [name, p] of Object.entries({ ...secrets, ...params })) source[name] = p.value();
  if (withAdmin) source.ADMIN_SECRET = ADMIN_SECRET.value();
  return source;
}

// One app per instance, built on the first request (params have values only then).
let app: Promise<App> | undefined;
function getApp(withAdmin: boolean): Promise<App> {
  app ??= (async () => {
    const [{ createApp }, { parseConfig }] = await Promise.all([import("./app.js"), import("./config.js")]);
    const created = await createApp(parseConfig(readParams(withAdmin)));
    // Cloud Run sends SIGTERM before stopping an instance: finish background work.
    process.once("SIGTERM", () => void created.shutdown());
    return created;
  })().catch((err: unknown) => {
    app = undefined; // a bad config is reported on every request until fixed, not cached
    throw err;
  });
  return app;
}

function failClosed(res: { status: (n: number) => { json: (b: unknown) => void } }, err: unknown) {
  // Config errors name the setting, never its value; details go to the log only.
  console.error(JSON.stringify({ severity: "ERROR", message: "function init failed", error: String(err) }));
  res.status(500).json({ ok: false, error: "internal error" });
}

/**
 * The Telegram webhook. 300 s timeout (above the 240 s turn deadline, so a slow
 * model ends the turn with a message instead of a timeout and a redelivery);
 * concurrency 80 so one instance serves many chats (turns mostly wait on I/O);
 * 512 MiB for the L1 cache; min 0 instances to cost nothing idle.
 */
export const telegramWebhook = onRequest(
  {
    region: "us-central1",
    secrets: Object.values(secrets),
    timeoutSeconds: 300,
    memory: "512MiB",
    concurrency: 80,
    cpu: 1,
    minInstances: 0,
    maxInstances: 20,
    invoker: "public",
  },
  async (req, res) => {
    let instance: App;
    try {
      instance = await getApp(false);
    } catch (err) {
      failClosed(res, err);
      return;
    }
    const out = await instance.webhook({ method: req.method, header: (n) => req.get(n), body: req.body });
    res.status(out.status).json(out.body);
  },
);

/** Metrics for ops, JSON or Prometheus text; requires `Authorization: Bearer <ADMIN_SECRET>`. */
export const metrics = onRequest(
  {
    region: "us-central1",
    secrets: [...Object.values(secrets), ADMIN_SECRET],
    timeoutSeconds: 10,
    memory: "256MiB",
    maxInstances: 2,
    invoker: "public",
  },
  async (req, res) => {
    let instance: App;
    try {
      instance = await getApp(true);
    } catch (err) {
      failClosed(res, err);
      return;
    }
    const out = await instance.metrics({ method: req.method, header: (n) => req.get(n), body: req.body });
    res.status(out.status).type(out.contentType).send(out.body);
  },
);
