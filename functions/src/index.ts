/**
 * Cloud Functions entry point: the only file that imports firebase-functions.
 * It declares the params, wires them into the app on the first request and
 * exports the HTTPS functions. Everything heavy (grammY, Firestore, the
 * Anthropic SDK) is imported lazily by app.ts, so a cold start imports little.
 *
 * Pipeline: telegramWebhook → secret check → Update validation → per-chat queue
 * → claim + durable user message (1 commit) → Claude agent loop → reply stored
 * on the claim, fenced (1 commit) → delivered, claim done (1 commit). See the
 * README for the architecture sketch and the claim lifecycle.
 */

import type { Response } from "express";
import { defineInt, defineSecret, defineString } from "firebase-functions/params";
import { onRequest, type Request } from "firebase-functions/v2/https";
import { onTaskDispatched } from "firebase-functions/v2/tasks";
import type { ConfigSource } from "./config.js";
import { REGION } from "./region.js";
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
  ANTHROPIC_MAX_TOKENS: defineInt("ANTHROPIC_MAX_TOKENS", { default: 8192 }),
  ANTHROPIC_TIMEOUT_MS: defineInt("ANTHROPIC_TIMEOUT_MS", { default: 180000 }),
  ANTHROPIC_MAX_RETRIES: defineInt("ANTHROPIC_MAX_RETRIES", { default: 2 }),
  ALLOWED_USER_IDS: defineString("ALLOWED_USER_IDS", { default: "" }),
  HISTORY_MAX_MESSAGES: defineInt("HISTORY_MAX_MESSAGES", { default: 40 }),
  HISTORY_MAX_BYTES: defineInt("HISTORY_MAX_BYTES", { default: 262144 }),
  COLLECTION_PREFIX: defineString("COLLECTION_PREFIX", { default: "" }),
  RATE_LIMIT_PER_MINUTE: defineInt("RATE_LIMIT_PER_MINUTE", { default: 20 }),
  MAX_INPUT_CHARS: defineInt("MAX_INPUT_CHARS", { default: 4000 }),
  MAX_TOOL_ITERATIONS: defineInt("MAX_TOOL_ITERATIONS", { default: 6 }),
  CACHE_TTL_SECONDS: defineInt("CACHE_TTL_SECONDS", { default: 300 }),
  CACHE_MAX_ENTRIES: defineInt("CACHE_MAX_ENTRIES", { default: 5000 }),
  CACHE_MAX_BYTES: defineInt("CACHE_MAX_BYTES", { default: 67108864 }), // 64 MiB
  // Decimal amounts as strings: firebase-functions' defineFloat is internal (not in its
  // types) and firebase-tools 14 knows no "float" param type. config.ts validates them.
  USER_DAILY_BUDGET_USD: defineString("USER_DAILY_BUDGET_USD", { default: "0" }),
  USER_MONTHLY_BUDGET_USD: defineString("USER_MONTHLY_BUDGET_USD", { default: "0" }),
  ADMIN_USER_IDS: defineString("ADMIN_USER_IDS", { default: "" }),
  WEB_SEARCH_MAX_USES: defineInt("WEB_SEARCH_MAX_USES", { default: 0 }),
  WARMUP_SESSIONS: defineInt("WARMUP_SESSIONS", { default: 200 }),
  LOG_LEVEL: defineString("LOG_LEVEL", { default: "info" }),
  MEDIA_MAX_MB: defineInt("MEDIA_MAX_MB", { default: 20 }),
  MEDIA_TURNS_KEPT: defineInt("MEDIA_TURNS_KEPT", { default: 3 }),
  MEDIA_CACHE_MAX_MB: defineInt("MEDIA_CACHE_MAX_MB", { default: 48 }),
  MEDIA_TEXT_MAX_CHARS: defineInt("MEDIA_TEXT_MAX_CHARS", { default: 100000 }),
  MEDIA_INFLIGHT_MAX_MB: defineInt("MEDIA_INFLIGHT_MAX_MB", { default: 48 }),
  ALBUM_QUIET_MS: defineInt("ALBUM_QUIET_MS", { default: 2000 }),
  REPLY_FORMAT: defineString("REPLY_FORMAT", { default: "html" }),
};

function readParams(names: readonly { name: string; value(): string | number }[]): ConfigSource {
  const source: ConfigSource = {};
  for (const p of names) source[p.name] = p.value();
  return source;
}

/** One app per instance and function, built on the first request (params have values only then). */
function memoApp<T extends { shutdown(): Promise<void> }>(build: () => Promise<T>): () => Promise<T> {
  let app: Promise<T> | undefined;
  return () => {
    app ??= build().then(
      (created) => {
        // Cloud Run sends SIGTERM (then 10 s) before stopping an instance: finish background
        // work (delivery receipts, metrics), then exit, as the signal asks.
        process.once("SIGTERM", () => {
          void created.shutdown().finally(() => process.exit(0));
        });
        return created;
      },
      (err: unknown) => {
        app = undefined; // a bad config is reported on every request until fixed, not cached
        throw err;
      },
    );
    return app;
  };
}

const getWebhookApp = memoApp(async () => {
  const [{ createApp }, { parseConfig }] = await Promise.all([import("./app.js"), import("./config.js")]);
  return createApp(parseConfig(readParams([...Object.values(secrets), ...Object.values(params)])));
});

const getAdminApp = memoApp(async () => {
  const [{ createAdminApp }, { parseAdminConfig }] = await Promise.all([
    import("./app.js"),
    import("./config.js"),
  ]);
  return createAdminApp(parseAdminConfig(readParams([ADMIN_SECRET, ...Object.values(params)])));
});

/** Adapts Express's req/res to an app; a failed start answers 500 with details only in the log. */
function serve<T>(getApp: () => Promise<T>, handle: (app: T, req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response) => {
    let app: T;
    try {
      app = await getApp();
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
 * 1 GiB: 20 concurrent 10 MB uploads peak at 425–465 MiB of RSS under the in-flight
 * media budget (npm run bench, Fig 9), too close to 512 MiB for GC headroom beside the L1
 * cache; memory is about a tenth of an instance's price next to its vCPU, so doubling it
 * costs about 5% more per instance-second. min 0 instances to cost nothing idle.
 */
export const telegramWebhook = onRequest(
  {
    region: REGION,
    secrets: Object.values(secrets),
    timeoutSeconds: FUNCTION_TIMEOUT_S,
    memory: "1GiB",
    concurrency: 80,
    cpu: 1,
    minInstances: 0,
    maxInstances: 20,
    invoker: "public",
  },
  serve(getWebhookApp, async (app, req, res) => {
    const out = await app.webhook(adapt(req));
    res.status(out.status).json(out.body);
  }),
);

/**
 * Metrics for ops, JSON or Prometheus text; requires `Authorization: Bearer <ADMIN_SECRET>`.
 * It is given only its own secret: it serves no turns, so it needs neither the bot
 * token nor the Anthropic key.
 */
export const metrics = onRequest(
  {
    region: REGION,
    secrets: [ADMIN_SECRET],
    timeoutSeconds: 10,
    memory: "256MiB",
    maxInstances: 2,
    invoker: "public",
  },
  serve(getAdminApp, async (app, req, res) => {
    const out = await app.metrics(adapt(req));
    res.status(out.status).type(out.contentType).send(out.body);
  }),
);

/**
 * Closes an album (media group) once no item came for a moment, then runs its
 * turn (src/media/ALBUMS.md). Enqueued by the webhook through Cloud Tasks; a
 * failure (non-2xx) is retried by Cloud Tasks, and the turn's claim keeps it
 * exactly once.
 */
export const albumCheck = onTaskDispatched(
  {
    region: REGION,
    secrets: Object.values(secrets),
    timeoutSeconds: FUNCTION_TIMEOUT_S,
    memory: "1GiB", // runs album turns: media, like the webhook
    retryConfig: { maxAttempts: 20, minBackoffSeconds: 5, maxBackoffSeconds: 120 },
    rateLimits: { maxConcurrentDispatches: 50 },
  },
  async (req) => {
    const app = await getWebhookApp();
    await app.albumCheck(req.data);
  },
);
