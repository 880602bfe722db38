// Streaming in private chats (issue 10): the REAL agent loop streaming through the REAL
// Anthropic SDK from the loopback Messages API (which drips its answer like a model:
// a first token after [[slow]], then ~10 tokens per [[drip]]), shown by the REAL draft
// streamer through grammY to the loopback Bot API, which enforces the per-chat draft
// limit we assume Telegram has (draft-pacer.ts ASSUMED_DRAFT_LIMIT) and answers 429
// over it. The answer is then sent the way telegram/deliver.ts sends it (replyParts +
// sendPart). The same prompts, in the same run and the same chats, also go the
// non-streaming way (createMessage, typing, then the message), so the two compare.
//
// What a turn here leaves out is the same for both ways: the webhook, the chat queue and
// the two Firestore commits (claim before the model, answer before delivery). Times are
// taken in this process on one clock (performance.now()); "arrived" is when the fake Bot
// API recorded the call.
//
// Standalone: npm run build && npm run build:devtools && node scripts/bench/streaming.mjs
import { pathToFileURL } from "node:url";
import Anthropic from "@anthropic-ai/sdk";
import { Api } from "grammy";
import { startFakeAnthropic } from "../../.runtime/devtools/fake-anthropic.js";
import { startFakeTelegram } from "../../.runtime/devtools/fake-telegram.js";
import { runAgent } from "../../lib/agent/loop.js";
import { sdkStreamMessage } from "../../lib/agent/model-stream.js";
import { ALL_TOOLS } from "../../lib/agent/tools/index.js";
import { createLogger } from "../../lib/observability/logger.js";
import { Metrics } from "../../lib/observability/metrics.js";
import { DEFAULT_SKILL } from "../../lib/state/skills.js";
import { retryExceptDrafts } from "../../lib/telegram/bot.js";
import { replyParts } from "../../lib/telegram/deliver.js";
import { ASSUMED_DRAFT_LIMIT, DRAFT_FRAME_INTERVAL_MS, DraftPacer } from "../../lib/telegram/draft-pacer.js";
import { DraftStream, draftIdFor } from "../../lib/telegram/draft-stream.js";
import { keepTyping, sendPart } from "../../lib/telegram/reply.js";
import { systemClock } from "../../lib/timeouts.js";
import { cell, formatTable, median, na, percentile, row } from "./report.mjs";

const CHATS = 20;
const ROUNDS = 3; // per chat: each round is one streamed and one plain turn of the same prompt
const FIRST_FRAME_BUDGET_MS = 500;
const DRAFT_METHODS = ["sendMessageDraft", "sendRichMessageDraft"];

/** The prompts, by round: plain prose, a tool round, and an answer past 4096 characters. */
const PROMPTS = [
  (i) => `question ${i} [[slow:400]] [[drip:100]] [[long:1200]]`,
  (i) => `sum ${i} [[tool:calculator {"expression":"6*${i}"}]] [[slow:400]] [[drip:100]]`,
  (i) => `essay ${i} [[slow:400]] [[drip:40]] [[long:6000]]`,
];

async function scenario({ limit, label }) {
  const telegram = await startFakeTelegram();
  const anthropic = await startFakeAnthropic();
  telegram.rateLimit(limit);
  const log = createLogger({ level: "silent" });
  const api = new Api("42:bench-token", { apiRoot: telegram.url });
  api.config.use(retryExceptDrafts());
  const client = new Anthropic({ baseURL: anthropic.url, apiKey: "bench", maxRetries: 0 });
  const createMessage = (params, options) => client.messages.create(params, options);
  const streamMessage = sdkStreamMessage(client);
  const pacer = new DraftPacer(systemClock);

  // Arrival of every accepted draft frame (by draft_id) and message (by the update it answers).
  const frames = new Map(); // draft_id -> [{ at, chat, visible }]
  const messages = new Map(); // replyTo -> first arrival
  const refused = { drafts400: 0, limited: 0, limitedBy: {} };
  telegram.onCall((call) => {
    const at = performance.now();
    if (!call.ok) {
      if (call.response.error_code === 429) {
        refused.limited++;
        refused.limitedBy[call.method] = (refused.limitedBy[call.method] ?? 0) + 1;
      } else if (DRAFT_METHODS.includes(call.method)) refused.drafts400++;
      return;
    }
    if (DRAFT_METHODS.includes(call.method)) {
      const id = Number(call.payload.draft_id);
      const list = frames.get(id) ?? [];
      // A frame showing only "Using <tool>…" carries no answer text yet.
      const statusOnly = /^<i>Using [^<]*…<\/i>$/.test(call.payload.text ?? "");
      list.push({ at, chat: Number(call.payload.chat_id), text: !statusOnly });
      frames.set(id, list);
    } else if (call.method === "sendMessage") {
      const replyTo = call.payload.reply_parameters?.message_id;
      if (replyTo !== undefined && !messages.has(replyTo)) messages.set(replyTo, at);
    }
  });

  const agent = (prompt, over) =>
    runAgent({
      history: [{ role: "user", content: [{ type: "text", text: prompt }] }],
      skill: DEFAULT_SKILL,
      tools: ALL_TOOLS.filter((t) => !t.perUser),
      model: "claude-sonnet-4-6",
      maxTokens: 8192,
      maxIterations: 6,
      toolContext: { userId: 1, chatId: 1, notes: undefined, now: () => new Date(), log },
      createMessage,
      metrics: new Metrics(),
      log,
      ...over,
    });

  const deliver = async (chatId, replyTo, text) => {
    const parts = replyParts(text);
    for (const [k, part] of parts.entries()) {
      await sendPart(api, { chatId, replyTo }, part, {
        log,
        signal: AbortSignal.timeout(30_000),
        first: k === 0,
      });
    }
  };

  const streamed = [];
  const plain = [];
  let updateId = 1000;
  const runChat = async (chatId) => {
    for (let round = 0; round < ROUNDS; round++) {
      const prompt = PROMPTS[round % PROMPTS.length](chatId);
      // Streamed: the draft shows the answer as it arrives, then the message replaces it.
      {
        const id = ++updateId;
        const t0 = performance.now();
        let firstToken = null;
        const draft = new DraftStream({
          api,
          clock: systemClock,
          log,
          pacer,
          chatId,
          draftId: draftIdFor(id),
        });
        const observer = {
          text: (d) => {
            firstToken ??= performance.now();
            draft.text(d);
          },
          toolStarted: (n) => draft.toolStarted(n),
          requestDone: (info) => draft.requestDone(info),
        };
        const result = await agent(prompt, { streamMessage, observer });
        const modelDone = performance.now();
        const stats = await draft.finish();
        await deliver(chatId, id, result.text);
        streamed.push({ id, chatId, t0, firstToken, modelDone, delivered: performance.now(), stats, round });
      }
      // Plain: typing, then the message.
      {
        const id = ++updateId;
        const t0 = performance.now();
        const typing = keepTyping(api, chatId, { log, clock: systemClock });
        const result = await agent(prompt, {});
        await typing.stop();
        await deliver(chatId, id, result.text);
        plain.push({ id, chatId, t0, round });
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CHATS }, (_, c) => runChat(c + 1)));
  const wallS = (performance.now() - started) / 1000;
  await Promise.all([telegram.close(), anthropic.close()]);

  // Figures.
  const firstFrame = [];
  const visibleStreamed = [];
  const framesPerTurn = [];
  const fpsPerTurn = [];
  const finalAfterModel = [];
  const deliveredAfterModel = [];
  const arrivalsByChat = new Map();
  for (const t of streamed) {
    const list = frames.get(draftIdFor(t.id)) ?? [];
    framesPerTurn.push(list.length);
    finalAfterModel.push(messages.get(t.id) - t.modelDone);
    deliveredAfterModel.push(t.delivered - t.modelDone);
    if (list.length === 0) continue;
    const firstText = list.find((frame) => frame.text);
    if (firstText) firstFrame.push(firstText.at - t.firstToken);
    visibleStreamed.push(list[0].at - t.t0);
    const span = (list.at(-1).at - list[0].at) / 1000;
    if (span > 0) fpsPerTurn.push((list.length - 1) / span);
    const all = arrivalsByChat.get(t.chatId) ?? [];
    all.push(...list.map((f) => f.at));
    arrivalsByChat.set(t.chatId, all);
  }
  const visiblePlain = plain.map((t) => messages.get(t.id) - t.t0);
  let maxInWindow = 0;
  for (const times of arrivalsByChat.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= ASSUMED_DRAFT_LIMIT.windowMs) j++;
      maxInWindow = Math.max(maxInWindow, i - j + 1);
    }
  }
  return {
    label,
    wallS,
    turns: streamed.length,
    firstFrame,
    visibleStreamed,
    visiblePlain,
    framesPerTurn,
    fpsPerTurn,
    maxInWindow,
    finalAfterModel,
    deliveredAfterModel,
    refused,
    stats: streamed.map((t) => t.stats),
  };
}

const f = (v) => (Number.isFinite(v) ? `${Math.round(v)} ms` : "n/a");
const p = (values, q) => percentile(values, q);

export async function streamingBench() {
  // Our documented assumption (draft-pacer.ts): draft frames have their own per-chat limit.
  const assumed = await scenario({
    label: `fake Bot API: ${ASSUMED_DRAFT_LIMIT.perChat} draft frames/chat/${ASSUMED_DRAFT_LIMIT.windowMs} ms (our assumption)`,
    limit: { ...ASSUMED_DRAFT_LIMIT, methods: DRAFT_METHODS },
  });
  // If Telegram counted drafts and messages in one budget: the answer's parts share it.
  const shared = await scenario({
    label: `fake Bot API: ${ASSUMED_DRAFT_LIMIT.perChat} frames + messages/chat/${ASSUMED_DRAFT_LIMIT.windowMs} ms`,
    limit: { ...ASSUMED_DRAFT_LIMIT },
  });
  // Telegram stricter than we assume: 429s happen; frames are skipped, the answer is not held back.
  const strict = await scenario({
    label: "fake Bot API: 1 draft frame/chat/s (stricter than assumed)",
    limit: { perChat: 1, windowMs: 1000, methods: DRAFT_METHODS },
  });
  return { assumed, shared, strict };
}

const byMethod = (r) =>
  Object.entries(r.limitedBy)
    .map(([m, n]) => `${n} ${m}`)
    .join(", ") || "none";

export function streamingRows({ assumed: a, shared: m, strict: s }) {
  const ratio = median(a.visibleStreamed) / median(a.visiblePlain);
  return [
    [
      "first model token → first draft frame at the Bot API, p50 / p99",
      `p99 ≤ ${FIRST_FRAME_BUDGET_MS} ms`,
      `${f(p(a.firstFrame, 0.5))} / ${f(p(a.firstFrame, 0.99))} (${a.firstFrame.length} turns, max ${f(Math.max(...a.firstFrame))})`,
      p(a.firstFrame, 0.99) <= FIRST_FRAME_BUDGET_MS,
    ],
    [
      "update → first visible text: streamed (first draft) p50 / p99",
      "< non-streamed",
      `${f(p(a.visibleStreamed, 0.5))} / ${f(p(a.visibleStreamed, 0.99))}`,
      ratio < 1,
    ],
    [
      "update → first visible text: non-streamed (the message) p50 / p99",
      "reported",
      `${f(p(a.visiblePlain, 0.5))} / ${f(p(a.visiblePlain, 0.99))} (streamed/plain p50 = ${ratio.toFixed(2)}×)`,
      null,
    ],
    [
      "draft frames per turn, p50 / max",
      "reported",
      `${p(a.framesPerTurn, 0.5)} / ${Math.max(...a.framesPerTurn)}`,
      null,
    ],
    [
      "draft frames per second per chat: mean while streaming / max in any 1 s",
      `≤ ${(1000 / DRAFT_FRAME_INTERVAL_MS) | 0}/s paced; ≤ ${ASSUMED_DRAFT_LIMIT.perChat} in 1 s`,
      `${(a.fpsPerTurn.reduce((x, y) => x + y, 0) / a.fpsPerTurn.length).toFixed(2)} / ${a.maxInWindow}`,
      a.maxInWindow <= ASSUMED_DRAFT_LIMIT.perChat,
    ],
    [
      "Telegram 429s at our pacing, fake enforcing the assumed draft limit",
      "0",
      String(a.refused.limited),
      a.refused.limited === 0,
    ],
    [
      "draft frames the fake refused (400: formatting, length)",
      "0",
      String(a.refused.drafts400),
      a.refused.drafts400 === 0,
    ],
    [
      "model done → answer's first message arrived / all parts sent, p50 / p99",
      "reported",
      `${f(p(a.finalAfterModel, 0.5))} / ${f(p(a.finalAfterModel, 0.99))}; ${f(p(a.deliveredAfterModel, 0.5))} / ${f(p(a.deliveredAfterModel, 0.99))}`,
      null,
    ],
    [
      "if drafts and messages shared that budget: 429s (auto-retried); all parts sent after model, p99",
      "reported",
      `${byMethod(m.refused)}; ${f(p(m.deliveredAfterModel, 0.99))}`,
      null,
    ],
    [
      "stricter fake (1 frame/chat/s): 429s, frames skipped",
      "reported",
      `${s.refused.limited} 429s; ${s.stats.reduce((n, x) => n + x.rateLimited, 0)} frames skipped; 0 turns failed`,
      null,
    ],
    [
      "stricter fake: model done → all parts sent, p99",
      "not held back by retry_after (< 1 s)",
      f(p(s.deliveredAfterModel, 0.99)),
      p(s.deliveredAfterModel, 0.99) < 1000,
    ],
  ];
}

export function streamingNotes({ assumed, shared, strict }) {
  return [
    `Fig 10: streaming in private chats, ${CHATS} chats in parallel, ${ROUNDS} rounds each (one streamed and one plain ` +
      "turn of the same prompt: prose, a tool round, an answer past 4096 characters), through the real agent loop, SDK " +
      `stream, draft streamer and grammY against the loopback fakes; no webhook or Firestore (the same for both ways). ` +
      `Runs: ${assumed.label} (${assumed.turns} turns); ${shared.label}; ${strict.label}.`,
  ];
}

/** The rows as bench.mjs prints them (figure 10). */
export const streamingTableRows = (results) =>
  streamingRows(results).map(([metric, budget, value, ok]) =>
    row("10", `streaming: ${metric}`, budget, cell(value, ok), na()),
  );

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const results = await streamingBench();

  console.log(
    `\nStreaming bench: ${CHATS} private chats in parallel, ${ROUNDS} rounds each (one streamed + one plain turn of the same prompt)`,
  );
  console.log(
    `  ${results.assumed.label}: ${results.assumed.turns} streamed turns in ${results.assumed.wallS.toFixed(1)} s`,
  );
  for (const r of [results.shared, results.strict]) {
    console.log(`  ${r.label}: ${r.turns} streamed turns in ${r.wallS.toFixed(1)} s`);
  }
  console.log("");
  console.log(formatTable(streamingTableRows(results)));
  const failed = streamingRows(results).some(([, , , ok]) => ok === false);
  process.exitCode = failed ? 1 : 0;
}
