import { randomUUID } from "node:crypto";
import type { Firestore } from "@google-cloud/firestore";
import type { Bot } from "grammy";
import type { CreateMessage, StreamMessage } from "./agent/loop.js";
import { sdkStreamMessage } from "./agent/model-stream.js";
import { type AdminConfig, type Config, secretValues } from "./config.js";
import type { AlbumWindow } from "./media/album.js";
import { PreparedMediaCache } from "./media/cache.js";
import { Gate } from "./media/gate.js";
import { mediaLimits } from "./media/limits.js";
import { createMediaStore } from "./media/media-store.js";
import { botFileSource } from "./media/telegram-files.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { Metrics, sumCounters, toPrometheus } from "./observability/metrics.js";
import { REGION } from "./region.js";
import { collectionNames, type DocIO, lazyFirestore } from "./state/firestore.js";
import { StateManager } from "./state/state-manager.js";
import { Admins } from "./telegram/admins.js";
import { type AlbumScheduler, AlbumTaskSchema, cloudTasksScheduler } from "./telegram/album-tasks.js";
import { createBot, PLACEHOLDER_USERNAME } from "./telegram/bot.js";
import { ChatQueue } from "./telegram/chat-queue.js";
import type { BotContext } from "./telegram/context.js";
import { DraftPacer } from "./telegram/draft-pacer.js";
import { Generations } from "./telegram/generations.js";
import { Refusals } from "./telegram/refusals.js";
import { UpdateSchema } from "./telegram/update-schema.js";
import {
  createUpdateRunner,
  createWebhookHandler,
  secretMatches,
  type WebhookRequest,
  type WebhookResponse,
} from "./telegram/webhook.js";
import { type Clock, REQUEST_BUDGET_MS, systemClock } from "./timeouts.js";

const METRICS_LOG_INTERVAL_MS = 60_000;
/** Instances that reported within this window are in the admin view. */
const REPORT_WINDOW_MS = 10 * 60_000;
/** Budget of background work such as publishing metrics. */
const BACKGROUND_OP_MS = 30_000;

export interface AppEdges {
  db?: () => Firestore;
  createMessage?: CreateMessage;
  /** The streaming port; without it (and with a createMessage edge) turns are not streamed. */
  streamMessage?: StreamMessage;
  log?: Logger;
  metrics?: Metrics;
  clock?: Clock;
  /** The Firestore edge (tests substitute one that fails or stalls after a call took effect). */
  io?: (deps: ConstructorParameters<typeof DocIO>[0]) => DocIO;
  /** Arms album checks (Cloud Tasks by default; tests drive them by hand). */
  scheduleAlbumCheck?: AlbumScheduler;
  /** Start the cold-start warm-up. */
  warmup?: boolean;
  /** Knobs for fault-injection tests (production uses the defaults). */
  tuning?: { callMs?: { read: number; commit: number }; metricsIntervalMs?: number };
}

export interface App {
  /** The grammY bot (e.g. for long polling in `npm run dev:polling`). */
  bot: Bot<BotContext>;
  webhook: (req: WebhookRequest) => Promise<WebhookResponse>;
  /** The `albumCheck` task: closes an album when its window is over and runs its turn. */
  albumCheck: (payload: unknown) => Promise<void>;
  state: StateManager;
  metricsRegistry: Metrics;
  log: Logger;
  shutdown: () => Promise<void>;
}

export interface AdminApp {
  metrics: (req: WebhookRequest) => Promise<{ status: number; body: string; contentType: string }>;
  state: StateManager;
  shutdown: () => Promise<void>;
}

/**
 * Anthropic's client, imported on first use so cold start does not pay for it; one
 * client behind both ports (plain requests, and streamed ones for drafts).
 */
function lazyAnthropic(config: Config): { createMessage: CreateMessage; streamMessage: StreamMessage } {
  let client: Promise<import("@anthropic-ai/sdk").default> | undefined;
  const get = () =>
    (client ??= import("@anthropic-ai/sdk").then(
      ({ default: Anthropic }) =>
        new Anthropic({
          apiKey: config.ANTHROPIC_API_KEY,
          baseURL: config.ANTHROPIC_BASE_URL,
          maxRetries: config.ANTHROPIC_MAX_RETRIES,
          timeout: config.ANTHROPIC_TIMEOUT_MS,
        }),
    ));
  return {
    createMessage: async (params, options) => (await get()).messages.create(params, options),
    streamMessage: async (params, options) => sdkStreamMessage(await get())(params, options),
  };
}

/** Production Firestore: firebase-admin's default app (runtime credentials), loaded on first use. */
async function defaultFirestore(): Promise<() => Firestore> {
  const { initializeApp, getApps } = await import("firebase-admin/app");
  const { getFirestore } = await import("firebase-admin/firestore");
  const app = getApps()[0] ?? initializeApp();
  return lazyFirestore(() => getFirestore(app) as unknown as Firestore);
}

async function createState(
  config: AdminConfig | Config,
  edges: AppEdges,
  metrics: Metrics,
  log: Logger,
  albumWindow?: AlbumWindow,
) {
  return new StateManager({
    db: edges.db ?? (await defaultFirestore()),
    names: collectionNames(config.COLLECTION_PREFIX),
    metrics,
    log,
    limits: { maxMessages: config.HISTORY_MAX_MESSAGES, maxBytes: config.HISTORY_MAX_BYTES },
    cache: {
      maxEntries: config.CACHE_MAX_ENTRIES,
      maxBytes: config.CACHE_MAX_BYTES,
      ttlMs: config.CACHE_TTL_SECONDS * 1000,
    },
    callMs: edges.tuning?.callMs,
    warmupSessions: config.WARMUP_SESSIONS,
    albumWindow,
    clock: edges.clock,
    io: edges.io,
  });
}

/**
 * Builds one webhook instance of the bot: state layer, agent, bot and HTTP
 * handler. Every edge (Firestore, Anthropic, logger, clock) can be replaced.
 */
export async function createApp(config: Config, edges: AppEdges = {}): Promise<App> {
  const metrics = edges.metrics ?? new Metrics();
  const log = edges.log ?? createLogger({ level: config.LOG_LEVEL, secrets: secretValues(config) });
  const clock = edges.clock ?? systemClock;
  const limits = mediaLimits(config);
  const state = await createState(config, edges, metrics, log, limits.albumWindow);
  if (config.ALLOWED_USER_IDS.length === 0) {
    log.warn("ALLOWED_USER_IDS is empty: everyone can use this bot (and spend its model budget)");
  }
  if (config.TELEGRAM_BOT_USERNAME === PLACEHOLDER_USERNAME) {
    log.warn(
      { username: config.TELEGRAM_BOT_USERNAME },
      "TELEGRAM_BOT_USERNAME is the placeholder: mentions in groups will not reach the bot (set it; `npm run set-webhook` checks it)",
    );
  }
  const scheduleAlbumCheck = edges.scheduleAlbumCheck ?? cloudTasksScheduler(REGION);
  const media = createMediaStore({
    files: botFileSource(config.TELEGRAM_BOT_TOKEN, config.TELEGRAM_API_ROOT),
    cache: new PreparedMediaCache({ maxBytes: limits.cacheMaxBytes }),
    limits,
  });
  // A test or bench that replaces createMessage streams only if it also gives a streamMessage.
  const models = edges.createMessage
    ? { createMessage: edges.createMessage, streamMessage: undefined }
    : lazyAnthropic(config);
  const bot = createBot({
    config,
    state,
    metrics,
    log,
    createMessage: models.createMessage,
    streamMessage: edges.streamMessage ?? models.streamMessage,
    clock,
    draftPacer: new DraftPacer(clock),
    generations: new Generations(),
    refusals: new Refusals(clock),
    admins: new Admins(),
    media,
    mediaLimits: limits,
    mediaInFlight: new Gate(limits.inflightMaxChars),
    scheduleAlbumCheck,
  });
  const run = createUpdateRunner({ bot, queue: new ChatQueue(), log, metrics, clock });
  const handle = createWebhookHandler({ secret: config.TELEGRAM_WEBHOOK_SECRET, run, log, metrics });
  // Warm L1 in the background; no request waits for it.
  if (edges.warmup ?? true) void state.startWarmup();

  const instance = `${process.env.K_REVISION ?? "local"}-${randomUUID().slice(0, 8)}`;
  const reportInterval = edges.tuning?.metricsIntervalMs ?? METRICS_LOG_INTERVAL_MS;
  const report = () => {
    const snapshot = metrics.snapshot();
    log.info({ metrics: snapshot, instance }, "metrics");
    // Published for the admin metrics function (another service, other instances).
    return state.background.run("publish metrics", () =>
      state.metricsReports.publish(instance, snapshot, state.backgroundOp(BACKGROUND_OP_MS)),
    );
  };
  let lastReport = clock.now();
  const webhook = async (req: WebhookRequest) => {
    const res = await handle(req);
    // At most one report a minute per instance, piggybacking on traffic
    // (no timers: CPU is throttled between requests).
    if (clock.now() - lastReport >= reportInterval) {
      lastReport = clock.now();
      void report();
    }
    return res;
  };

  const albumCheck = async (payload: unknown) => {
    const task = AlbumTaskSchema.parse(payload);
    const op = {
      ...state.backgroundOp(REQUEST_BUDGET_MS),
      log: log.child({ chat_id: task.chatId, media_group_id: task.mediaGroupId }),
    };
    const check = await state.albums.check(task.chatId, task.mediaGroupId, op);
    if (check.action === "wait") {
      await scheduleAlbumCheck({ ...task, seq: check.seq }, check.until);
      return;
    }
    if (check.action === "none") return;
    // The album's turn runs as its first item's update, through the same pipeline.
    const update = UpdateSchema.parse({
      update_id: check.album.first.updateId,
      message: check.album.first.message,
    });
    const res = await run(update, { album: check.album });
    // Non-2xx makes Cloud Tasks try again later; the claim keeps the turn exactly once.
    if (res.status !== 200)
      throw new Error(`album turn not finished (${res.status}: ${String(res.body.error)})`);
  };

  return {
    bot,
    webhook,
    albumCheck,
    state,
    metricsRegistry: metrics,
    log,
    shutdown: async () => {
      await report(); // the last minute of this instance's counters
      await state.shutdown();
    },
  };
}

/** The admin function: metrics aggregated over the webhook instances' reports. */
export async function createAdminApp(config: AdminConfig, edges: AppEdges = {}): Promise<AdminApp> {
  const metrics = edges.metrics ?? new Metrics();
  const log = edges.log ?? createLogger({ level: config.LOG_LEVEL, secrets: secretValues(config) });
  const state = await createState(config, edges, metrics, log);

  const handler = async (req: WebhookRequest) => {
    const auth = req.header("authorization")?.replace(/^Bearer\s+/i, "");
    if (!secretMatches(auth, config.ADMIN_SECRET)) {
      return {
        status: 401,
        body: JSON.stringify({ ok: false, error: "unauthorized" }),
        contentType: "application/json",
      };
    }
    const reports = await state.metricsReports.recent(REPORT_WINDOW_MS, state.backgroundOp(BACKGROUND_OP_MS));
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
  return { metrics: handler, state, shutdown: () => state.shutdown() };
}
