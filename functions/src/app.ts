import { randomUUID } from "node:crypto";
import type { Firestore } from "@google-cloud/firestore";
import type { Bot } from "grammy";
import type { CreateMessage } from "./agent/loop.js";
import { type Config, secretValues } from "./config.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { Metrics, sumCounters, toPrometheus } from "./observability/metrics.js";
import { collectionNames, lazyFirestore } from "./state/firestore.js";
import { StateManager } from "./state/state-manager.js";
import { createBot } from "./telegram/bot.js";
import { ChatQueue } from "./telegram/chat-queue.js";
import type { BotContext } from "./telegram/context.js";
import {
  createWebhookHandler,
  secretMatches,
  type WebhookRequest,
  type WebhookResponse,
} from "./telegram/webhook.js";
import { CLAIM_LEASE_MS } from "./timeouts.js";

const METRICS_LOG_INTERVAL_MS = 60_000;
/** Instances that reported within this window are in the admin view. */
const REPORT_WINDOW_MS = 10 * 60_000;

export interface AppEdges {
  db?: () => Firestore;
  createMessage?: CreateMessage;
  log?: Logger;
  metrics?: Metrics;
  now?: () => Date;
  /** Start the cold-start warm-up (false for the admin function, which serves no turns). */
  warmup?: boolean;
  /** Timing knobs for fault-injection tests (production uses the defaults). */
  tuning?: { leaseMs?: number; deadlineMs?: { read: number; commit: number }; metricsIntervalMs?: number };
}

export interface App {
  /** The grammY bot (e.g. for long polling in `npm run dev:polling`). */
  bot: Bot<BotContext>;
  webhook: (req: WebhookRequest) => Promise<WebhookResponse>;
  metrics: (req: WebhookRequest) => Promise<{ status: number; body: string; contentType: string }>;
  state: StateManager;
  metricsRegistry: Metrics;
  log: Logger;
  shutdown: () => Promise<void>;
}

/** Anthropic's client, imported on first use so cold start does not pay for it. */
function lazyAnthropic(config: Config): CreateMessage {
  let client: Promise<import("@anthropic-ai/sdk").default> | undefined;
  return async (params, options) => {
    client ??= import("@anthropic-ai/sdk").then(
      ({ default: Anthropic }) =>
        new Anthropic({
          apiKey: config.ANTHROPIC_API_KEY,
          baseURL: config.ANTHROPIC_BASE_URL,
          maxRetries: config.ANTHROPIC_MAX_RETRIES,
          timeout: config.ANTHROPIC_TIMEOUT_MS,
        }),
    );
    return (await client).messages.create(params, options);
  };
}

/**
 * Builds one instance of the bot: state layer, agent, bot and HTTP handlers.
 * Every edge (Firestore, Anthropic, logger, clock) can be replaced.
 */
export async function createApp(config: Config, edges: AppEdges = {}): Promise<App> {
  const metrics = edges.metrics ?? new Metrics();
  const log = edges.log ?? createLogger({ level: config.LOG_LEVEL, secrets: secretValues(config) });
  let db = edges.db;
  if (!db) {
    // Production: firebase-admin's default app (runtime credentials), loaded on first use.
    const { initializeApp, getApps } = await import("firebase-admin/app");
    const { getFirestore } = await import("firebase-admin/firestore");
    const app = getApps()[0] ?? initializeApp();
    db = lazyFirestore(() => getFirestore(app) as unknown as Firestore);
  }
  const state = new StateManager({
    db,
    names: collectionNames(config.COLLECTION_PREFIX),
    metrics,
    log,
    limits: { maxMessages: config.HISTORY_MAX_MESSAGES, maxBytes: config.HISTORY_MAX_BYTES },
    cache: {
      maxEntries: config.CACHE_MAX_ENTRIES,
      maxBytes: config.CACHE_MAX_BYTES,
      ttlMs: config.CACHE_TTL_SECONDS * 1000,
    },
    leaseMs: edges.tuning?.leaseMs ?? CLAIM_LEASE_MS,
    deadlineMs: edges.tuning?.deadlineMs,
    warmupSessions: config.WARMUP_SESSIONS,
  });
  if (config.ALLOWED_USER_IDS.length === 0) {
    log.warn("ALLOWED_USER_IDS is empty: everyone can use this bot (and spend its model budget)");
  }
  const bot = createBot({
    config,
    state,
    metrics,
    log,
    createMessage: edges.createMessage ?? lazyAnthropic(config),
    now: edges.now ?? (() => new Date()),
  });
  const handle = createWebhookHandler({
    secret: config.TELEGRAM_WEBHOOK_SECRET,
    bot,
    queue: new ChatQueue(),
    log,
    metrics,
  });
  // Warm L1 in the background; no request waits for it.
  if (edges.warmup ?? true) void state.startWarmup();

  const instance = `${process.env.K_REVISION ?? "local"}-${randomUUID().slice(0, 8)}`;
  const reportInterval = edges.tuning?.metricsIntervalMs ?? METRICS_LOG_INTERVAL_MS;
  const report = () => {
    const snapshot = metrics.snapshot();
    log.info({ metrics: snapshot, instance }, "metrics");
    // Published for the admin metrics function (another service, other instances).
    return state.background.run("publish metrics", () => state.metricsReports.publish(instance, snapshot));
  };
  let lastReport = Date.now();
  const webhook = async (req: WebhookRequest) => {
    const res = await handle(req);
    // At most one report a minute per instance, piggybacking on traffic
    // (no timers: CPU is throttled between requests).
    if (Date.now() - lastReport >= reportInterval) {
      lastReport = Date.now();
      void report();
    }
    return res;
  };

  const metricsHandler = async (req: WebhookRequest) => {
    const auth = req.header("authorization")?.replace(/^Bearer\s+/i, "");
    if (!config.ADMIN_SECRET || !secretMatches(auth, config.ADMIN_SECRET)) {
      return {
        status: 401,
        body: JSON.stringify({ ok: false, error: "unauthorized" }),
        contentType: "application/json",
      };
    }
    const reports = await state.metricsReports.recent(REPORT_WINDOW_MS);
    const wantsText =
      (req.header("accept") ?? "").includes("text/plain") || req.header("x-format") === "prometheus";
    if (wantsText)
      return { status: 200, body: toPrometheus(reports), contentType: "text/plain; version=0.0.4" };
    const body = {
      window_minutes: REPORT_WINDOW_MS / 60_000,
      instances: reports.length,
      counters: sumCounters(reports.map((r) => r.snapshot)),
      reports,
    };
    return { status: 200, body: JSON.stringify(body), contentType: "application/json" };
  };

  return {
    bot,
    webhook,
    metrics: metricsHandler,
    state,
    metricsRegistry: metrics,
    log,
    shutdown: async () => {
      await report(); // the last minute of this instance's counters
      await state.shutdown();
    },
  };
}
