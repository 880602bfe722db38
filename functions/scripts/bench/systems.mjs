// The two systems the benchmark drives with the same updates, against the same
// Firestore emulator and the same loopback fakes (Bot API, Messages API):
//   ours     : createApp() from lib/app.js, in process, through app.webhook()
//   baseline : grammY session() + @grammyjs/storage-firestore ("the usual way")
// Both call the fake model through the real Anthropic SDK and reply through grammY.

import { AsyncLocalStorage } from "node:async_hooks";
import Anthropic from "@anthropic-ai/sdk";
import { Firestore } from "@google-cloud/firestore";
import { adapter } from "@grammyjs/storage-firestore";
import { Bot, session } from "grammy";
import { createApp } from "../../lib/app.js";
import { parseConfig, secretValues } from "../../lib/config.js";
import { createLogger } from "../../lib/observability/logger.js";
import { Metrics } from "../../lib/observability/metrics.js";
import { ConversationSchema } from "../../lib/state/schemas.js";
import { DEFAULT_SKILL } from "../../lib/state/skills.js";
import { botInfoFrom } from "../../lib/telegram/bot.js";
import { SECRET_HEADER } from "../../lib/telegram/webhook.js";

const TOKEN = "4242:bench-token";
const SECRET = "bench-webhook-secret";
const MODEL = "claude-sonnet-4-6";
const MAX_TOKENS = 1024;
const MAX_MESSAGES = 40;

/** Per-turn measurements, carried through each system by async context. */
export const turnCtx = new AsyncLocalStorage();
const newTurn = () => ({ modelMs: 0, modelCalls: 0, modelStartedAt: null, readsBeforeModel: null, reads: 0 });

/** A Firestore client on the emulator (FIRESTORE_EMULATOR_HOST is set by firebase emulators:exec). */
export function emulatorClient() {
  const db = new Firestore({ projectId: process.env.GCLOUD_PROJECT ?? "demo-bench" });
  db.settings({ ignoreUndefinedProperties: true });
  return db;
}

let nextId = 7_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
/** Unique chat ids (a private chat: user id = chat id). */
export const newChat = () => nextId++;
let nextUpdate = 100_000_000 + Math.floor(Math.random() * 100_000_000);

/** A private-chat text update. Tokens are fixed width, so none is a suffix of another. */
export function textUpdate(chatId, text, updateId = nextUpdate++) {
  return {
    update_id: updateId,
    message: {
      message_id: updateId % 1_000_000,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private", first_name: "Bench" },
      from: { id: chatId, is_bot: false, first_name: "Bench", language_code: "en" },
      text,
    },
  };
}
export const token = (chatId, i) => `q${chatId}n${String(i).padStart(4, "0")}`;

/**
 * The real SDK call, timed: model time per turn (SDK + HTTP + the fake's delay)
 * and, on the first call of a turn, the Firestore reads made so far.
 */
function timedCreate(client, readsSoFar) {
  return async (params, options) => {
    const t = turnCtx.getStore();
    if (t && t.modelStartedAt === null) {
      t.modelStartedAt = performance.now();
      t.readsBeforeModel = readsSoFar(t);
    }
    const started = performance.now();
    try {
      return await client.messages.create(params, options);
    } finally {
      if (t) {
        t.modelMs += performance.now() - started;
        t.modelCalls++;
      }
    }
  };
}

function anthropicClient(fakes) {
  return new Anthropic({ apiKey: "bench-key", baseURL: fakes.anthropic.url, maxRetries: 2, timeout: 60_000 });
}

/** Runs one update through a system and returns its per-turn measurements. */
async function measured(fn) {
  const t = newTurn();
  const started = performance.now();
  const startedWall = Date.now();
  await turnCtx.run(t, fn);
  return { ...t, started, startedWall, wallMs: performance.now() - started };
}

/** This project: the same app index.ts builds, in this process. */
export async function ourSystem({ fakes, prefix, db = emulatorClient() }) {
  const config = parseConfig({
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    ANTHROPIC_API_KEY: "bench-key",
    TELEGRAM_API_ROOT: fakes.telegram.url,
    ANTHROPIC_BASE_URL: fakes.anthropic.url,
    ANTHROPIC_MODEL: MODEL,
    ANTHROPIC_MAX_TOKENS: MAX_TOKENS,
    HISTORY_MAX_MESSAGES: MAX_MESSAGES,
    COLLECTION_PREFIX: prefix,
    WARMUP_SESSIONS: 0,
    // The baseline has no rate limiter; ours keeps its counters inside the conversation
    // document (no extra Firestore operation), so a high limit changes no count.
    RATE_LIMIT_PER_MINUTE: 1_000_000,
    LOG_LEVEL: "info",
  });
  const metrics = new Metrics();
  // Production logs at info (one JSON line per turn): pay for it, discard the output,
  // except the turn line's own count of reads before the model request.
  const destination = {
    write(line) {
      const t = turnCtx.getStore();
      if (t && line.includes('"message":"turn"'))
        t.readsBeforeModel = JSON.parse(line).firestore.reads_before_model;
    },
  };
  const log = createLogger({ level: "info", secrets: secretValues(config), destination });
  const app = await createApp(config, {
    db: () => db,
    log,
    metrics,
    // Reads before the model come from the turn's log line (above).
    createMessage: timedCreate(anthropicClient(fakes), () => null),
  });
  await app.state.startWarmup(); // the cold-start skills query, done before anything is measured
  const failures = [];
  let redeliveries = 0;
  return {
    name: "ours",
    prefix,
    app,
    db,
    failures,
    counters: () => ({
      reads: metrics.get("firestore_reads"),
      writes: metrics.get("firestore_writes"),
      commits: metrics.get("firestore_commits"),
      conflicts: metrics.get("tx_conflicts"),
      retries: metrics.get("retries"),
    }),
    /** The app's own per-stage latency percentiles (state/claim, model, persist, reply, turn). */
    latency: () => metrics.snapshot().latency_ms,
    // Like Telegram: a 503 (the update in flight on another request, or a reply not
    // delivered yet) is delivered again a moment later, until it is answered 200.
    handle: (update) =>
      measured(async () => {
        for (let attempt = 0; attempt < 50; attempt++) {
          const res = await app.webhook({
            method: "POST",
            header: (n) => (n.toLowerCase() === SECRET_HEADER ? SECRET : undefined),
            body: update,
          });
          if (res.status === 200) return;
          if (res.status !== 503) break;
          redeliveries++;
          await new Promise((r) => setTimeout(r, 50));
        }
        failures.push({ update_id: update.update_id });
      }),
    redeliveries: () => redeliveries,
    /** User texts stored for a chat, oldest first. */
    async storedUserTexts(inspector, chatId) {
      const snap = await inspector.collection(`${prefix}conversations`).doc(String(chatId)).get();
      const turns = snap.exists ? ConversationSchema.parse(snap.data()).turns : [];
      return turns.flatMap((t) => t.user.filter((b) => b.type === "text").map((b) => b.text));
    },
    close: () => app.shutdown(),
  };
}

/**
 * The baseline: grammY's session() over @grammyjs/storage-firestore, holding the
 * same history shape ({role, content} messages, capped at 40). Its storage adapter
 * is wrapped to count Firestore operations as they complete (each adapter call is
 * one document get, set or delete: one read, or one write in one commit).
 */
export function baselineSystem({ fakes, prefix, db = emulatorClient() }) {
  const counts = { reads: 0, writes: 0, commits: 0, conflicts: 0, retries: 0 };
  const inner = adapter(db.collection(`${prefix}sessions`));
  const storage = {
    async read(key) {
      const value = await inner.read(key);
      counts.reads++;
      const t = turnCtx.getStore();
      if (t) t.reads++;
      return value;
    },
    async write(key, value) {
      await inner.write(key, value);
      counts.writes++;
      counts.commits++;
    },
    async delete(key) {
      await inner.delete(key);
      counts.writes++;
      counts.commits++;
    },
  };
  const create = timedCreate(anthropicClient(fakes), (t) => t.reads);
  const bot = new Bot(TOKEN, {
    client: { apiRoot: fakes.telegram.url },
    botInfo: botInfoFrom(TOKEN, "bench_bot"),
  });
  bot.use(session({ initial: () => ({ history: [] }), storage }));
  bot.on("message:text", async (ctx) => {
    const history = ctx.session.history;
    history.push({ role: "user", content: ctx.message.text });
    const message = await create({
      model: MODEL,
      max_tokens: MAX_TOKENS,
      system: DEFAULT_SKILL.systemPrompt,
      messages: history,
    });
    const text = message.content
      .filter((b) => b.type === "text")
      .map((b) => b.text)
      .join("");
    history.push({ role: "assistant", content: text });
    ctx.session.history = history.slice(-MAX_MESSAGES);
    await ctx.reply(text);
  });
  const failures = [];
  return {
    name: "baseline",
    prefix,
    bot,
    db,
    failures,
    counters: () => ({ ...counts }),
    handle: (update) =>
      measured(async () => {
        try {
          await bot.handleUpdate(update);
        } catch (err) {
          failures.push({ update_id: update.update_id, error: String(err?.error ?? err) });
        }
      }),
    async storedUserTexts(inspector, chatId) {
      const snap = await inspector.collection(`${prefix}sessions`).doc(String(chatId)).get();
      const history = snap.get("history") ?? [];
      return history.filter((m) => m.role === "user").map((m) => m.content);
    },
    close: async () => {},
  };
}

/** Counter differences between two snapshots. */
export function delta(after, before) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
}
