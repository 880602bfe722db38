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

import type { Response } from "express";
import { defineInt, defineSecret, defineString } from "firebase-functions/params";
import { onRequest, type Request } from "firebase-functions/v2/https";
import type { App } from "./app.js";
import type { ConfigSource } from "./config.js";
import { FUNCTION_TIMEOUT_S } from "./timeouts.js";

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

type Role = "webhook" | "admin";

// One app per instance and role, built on the first request (params have values only then).
const apps = new Map<Role, Promise<App>>();
function getApp(role: Role): Promise<App> {
  let app = apps.get(role);
  if (!app) {
    app = (async () => {
      const [{ createApp }, { parseConfig }] = await Promise.all([import("./app.js"), import("./config.js")]);
      const created = await createApp(parseConfig(readParams(role === "admin")), {
        warmup: role === "webhook",
      });
      // Cloud Run sends SIGTERM before stopping an instance: finish background work.
      process.once("SIGTERM", () => void created.shutdown());
      return created;
    })().catch((err: unknown) => {
      apps.delete(role); // a bad config is reported on every request until fixed, not cached
      throw err;
    });
    apps.set(role, app);
  }
  return app;
}

type Handler = (app: App, req: Request, res: Response) => Promise<void>;

/** Adapts Express's req/res to the app; a failed start answers 500 with details only in the log. */
function serve(role: Role, handle: Handler) {
  return async (req: Request, res: Response) => {
    let app: App;
    try {
      app = await getApp(role);
    } catch (err) {
      // Config errors name the setting, never its value.
      console.error(
        JSON.stringify({ severity: "ERROR", message: "function init failed", error: String(err) }),
      );
      res.status(500).json({ ok: false, error: "internal error" });
      return;
    }
    await handle(app, req, res);
  };
}

const adapt = (req: Request) => ({ method: req.method, header: (n: string) => req.get(n), body: req.body });

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
    timeoutSeconds: FUNCTION_TIMEOUT_S,
    memory: "512MiB",
    concurrency: 80,
    cpu: 1,
    minInstances: 0,
    maxInstances: 20,
    invoker: "public",
  },
  serve("webhook", async (app, req, res) => {
    const out = await app.webhook(adapt(req));
    res.status(out.status).json(out.body);
  }),
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
  serve("admin", async (app, req, res) => {
    const out = await app.metrics(adapt(req));
    res.status(out.status).type(out.contentType).send(out.body);
  }),
);
