import type { Filter } from "grammy";
import { budgetsOf, overBudget, overBudgetText } from "../agent/budgets.js";
import { AgentError, type AgentOutcome, type AgentUsage, runAgent } from "../agent/loop.js";
import { classifyModelError, modelFailureText, reportMisconfiguration } from "../agent/model-errors.js";
import { withGroupRules } from "../agent/prompts.js";
import { toolsFor } from "../agent/tools/index.js";
import { t } from "../i18n/catalogue.js";
import { localeOf } from "../i18n/locale.js";
import { isMediaError } from "../media/errors.js";
import { attachMedia, mediaWeight } from "../media/request.js";
import { refusalText } from "../media/texts.js";
import type { Fence } from "../state/claims.js";
import { FencedError, StoreError } from "../state/errors.js";
import { DROPPED_STATUS, historyFor, toModelMessages } from "../state/history.js";
import type { Block, Skill, StoredMessage, Turn } from "../state/schemas.js";
import { activeSkillId } from "../state/sessions.js";
import { DELIVERY_RESERVE_MS } from "../timeouts.js";
import { speakerTag } from "./actor.js";
import { alreadyHandled, deliverOwned, resend } from "./answer.js";
import type { BotContext, BotDeps } from "./context.js";
import { type DraftStats, DraftStream, draftIdFor } from "./draft-stream.js";
import { RedeliverError } from "./redeliver.js";
import { refuse } from "./refuse.js";
import { keepTyping, sendPart } from "./reply.js";
import { threadOf, whereOf } from "./topic.js";

/** A turn is started by a message (text, photo, document). */
export type MessageContext = Filter<BotContext, "message">;

/**
 * One turn, exactly once (the claim's states are in state/claims.ts), for a user
 * message already reduced to the blocks history stores (text, media references):
 *  0. read what the turn needs (session, skill): a failure here writes nothing (503);
 *  1. claim the update and make the user's message durable (one commit, 0 reads warm);
 *  2. run the agent with the chat's history and the speaker's skill (typing shown meanwhile);
 *  3. store the reply, the text to send and usage, fenced by the claim (one commit);
 *  4. deliver the text through the fenced path (done, or undelivered and 503).
 * Any failure after step 1 ends in words (the model's failures and bugs alike are
 * answered through steps 3-4) or, if the reply cannot be stored, releases the
 * claim so a redelivery resumes the turn at once (see `unstored`).
 */
export async function userTurn(deps: BotDeps, ctx: MessageContext, user: Block[]): Promise<void> {
  const { config, state, metrics } = deps;
  const { log, op, actor } = ctx;
  const started = performance.now();
  const chat = ctx.chat;
  const updateId = ctx.update.update_id;

  // Everything that can fail before the claim is read first: nothing written yet.
  const session = await state.sessions.load(actor.id, op);
  // Budgets (agent/budgets.ts), from the session just loaded: no extra read, no claim.
  const over = overBudget(actor.id, session.value, budgetsOf(config), deps.clock.now());
  if (over) {
    const text = overBudgetText(localeOf(ctx), over, chat.type === "private");
    return refuse(deps, ctx, "over_budget", text, over.resetsAt - over.at);
  }
  const skill = await state.skills.resolve(activeSkillId(session), op);
  const group = chat.type !== "private";

  const begun = await state.turns.begin(
    {
      updateId,
      chatId: chat.id,
      threadId: threadOf(ctx.message),
      replyTo: ctx.message.message_id,
      userId: actor.id,
      user,
      ratePerMinute: config.RATE_LIMIT_PER_MINUTE,
    },
    op,
  );
  switch (begun.kind) {
    case "done":
    case "in_flight":
      return alreadyHandled(deps, ctx, begun.kind);
    case "deliver":
      return resend(deps, ctx, begun.fence, begun.claim);
    case "rate_limited":
      return refuse(
        deps,
        ctx,
        "rate_limited",
        t(localeOf(ctx), "rate-limited", { seconds: begun.retryAfterSec }),
        begun.retryAfterSec * 1000,
      );
  }

  const stateMs = performance.now() - started;
  metrics.observe("state_load_ms", stateMs);
  const readsBeforeModel = op.tally?.reads ?? 0;

  const modelStarted = performance.now();
  const ran = await runTurn(deps, ctx, {
    skill: group ? withGroupRules(skill) : skill,
    stored: begun.conversation.value!.turns,
    turn: begun.turn,
    privateChat: !group,
  });
  const modelMs = performance.now() - modelStarted;
  const reply = ran.text;

  const persistStarted = performance.now();
  let fence: Fence;
  try {
    fence = await state.turns.answer(
      begun.fence,
      {
        chatId: chat.id,
        threadId: threadOf(ctx.message),
        userId: actor.id,
        updateId,
        reply: ran.reply,
        status: ran.status,
        text: reply,
        usage: ran.usage,
      },
      op,
    );
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    await unstored(deps, ctx, begun.fence, reply, err);
    return;
  }
  const persistMs = performance.now() - persistStarted;

  const replyStarted = performance.now();
  const outcome = await deliverOwned(deps, ctx, fence, { text: reply, sent: 0 });
  const replyMs = performance.now() - replyStarted;

  metrics.inc(ran.status === "failed" ? "turns_failed" : "turns_completed");
  metrics.observe("model_ms", modelMs);
  metrics.observe("persist_ms", persistMs);
  metrics.observe("reply_ms", replyMs);
  const turnMs = performance.now() - started;
  metrics.observe("turn_ms", turnMs);
  log.info(
    {
      model: ran.model,
      skill: skill.id,
      resumed: begun.resumed,
      outcome: ran.outcome,
      stop_reason: ran.stopReason,
      requests: ran.requests,
      tokens: ran.usage,
      firestore: { ...op.tally, reads_before_model: readsBeforeModel },
      latency_ms: {
        state: Math.round(stateMs),
        model: Math.round(modelMs),
        persist: Math.round(persistMs),
        reply: Math.round(replyMs),
        total: Math.round(turnMs),
      },
      delivery: outcome,
    },
    "turn",
  );
}

/** The user's words as history stores them: in a group, tagged with who said them. */
export function userText(ctx: MessageContext, text: string): string {
  return ctx.chat.type === "private" ? text : `${speakerTag(ctx.actor)}: ${text}`;
}

/**
 * The reply could not be stored (Firestore failed past its retries). Hand the
 * claim back so the redelivery resumes the turn at once (503). If even that
 * fails, Firestore is down: the user still gets the answer now, with a note that
 * it may not be remembered (we hold the claim's lease, so nobody else answers
 * before our deadline), and the turn is logged at ERROR.
 */
async function unstored(deps: BotDeps, ctx: MessageContext, fence: Fence, reply: string, err: StoreError) {
  try {
    await deps.state.claims.release(fence, ctx.op);
  } catch (releaseErr) {
    if (releaseErr instanceof FencedError) throw releaseErr;
    ctx.log.error({ err, release_error: releaseErr }, "turn not persisted; answering without storing it");
    await sendPart(
      ctx.api,
      { chatId: ctx.chat.id, replyTo: ctx.message.message_id },
      `${reply}\n\n${t(localeOf(ctx), "not-saved")}`,
      {
        log: ctx.log,
        signal: ctx.op.deadline.signal(),
        first: true,
      },
    );
    return;
  }
  throw new RedeliverError("reply not delivered yet", { cause: err });
}

/** When a generating turn starts listening for stops from other instances. */
export const STOP_WATCH_AFTER_MS = 1_000;

/** What a claimed turn produced: what to store, what to show, what it cost. */
interface Ran {
  status: "done" | "failed" | "dropped";
  /** Agent messages to keep on the turn (empty unless done). */
  reply: StoredMessage[];
  /** What the user is shown. */
  text: string;
  /** Billed usage, also when the turn failed after some requests. */
  usage: AgentUsage | undefined;
  outcome: AgentOutcome | "stopped" | "model_failed" | "media_failed" | "bug";
  stopReason: string | null;
  requests: number;
  model: string;
  /** What the turn's drafts did (private chats). */
  drafts?: DraftStats | undefined;
}

/**
 * Runs the agent for a claimed turn. The model's failures are classified into a
 * friendly text (an operator's mistake is also logged once as "model
 * misconfigured"); anything else is a bug, answered with a plain apology (the
 * stack goes to the ERROR log only). Either way the turn ends in words, and what
 * was billed before a failure is still counted.
 */
async function runTurn(
  deps: BotDeps,
  ctx: MessageContext,
  input: { skill: Readonly<Skill>; stored: readonly Turn[]; turn: Turn; privateChat: boolean },
): Promise<Ran> {
  const { config, state, metrics } = deps;
  const { log, op, actor } = ctx;
  const locale = localeOf(ctx);
  const model = input.skill.model ?? config.ANTHROPIC_MODEL;
  const where = whereOf(ctx.message);
  const threadId = threadOf(ctx.message);
  const deadline = op.deadline.signal(DELIVERY_RESERVE_MS);
  // /stop ends the generation: at once on this instance, through stops/{conversation} from others.
  const generation = deps.generations.start(where, ctx.update.update_id);
  // Other instances' stops arrive through a Firestore listener, opened only once the turn has
  // run for a moment: nobody stops a sub-second answer, and most turns then cost no listener.
  let unwatch = () => {};
  const cancelWatch = deps.clock.schedule(STOP_WATCH_AFTER_MS, () => {
    const stopHere = () => deps.generations.stop(where, ctx.update.update_id + 1);
    unwatch = state.stops.watch(where, ctx.update.update_id, stopHere, op);
  });
  const signal = AbortSignal.any([deadline, generation.signal]);
  const typing = keepTyping(ctx.api, ctx.chat.id, {
    log,
    clock: deps.clock,
    signal: op.deadline.signal(),
    threadId,
  });
  // Private chats see the answer grow in a draft (Bot API sendMessageDraft); groups cannot.
  const draft =
    input.privateChat && deps.streamMessage && deps.draftPacer
      ? new DraftStream({
          api: ctx.api,
          clock: deps.clock,
          log,
          pacer: deps.draftPacer,
          chatId: ctx.chat.id,
          draftId: draftIdFor(ctx.update.update_id),
          threadId,
          format: config.REPLY_FORMAT,
          signal: op.deadline.signal(),
          canStop: true,
          onFirstFrame: () => void typing.stop(),
          status: (tool) => t(locale, "using-tool", { tool }),
        })
      : undefined;
  let drafts: DraftStats | undefined;
  try {
    const history = toModelMessages(historyFor(input.stored, input.turn));
    // A turn carrying media waits until the instance's in-flight media fit in its budget: each
    // request holds its media several times over, and 80 concurrent turns could otherwise hold
    // 80 PDFs. Text-only turns weigh nothing and never wait.
    const weight = mediaWeight(history, { turnsKept: deps.mediaLimits.turnsKept, limits: deps.mediaLimits });
    const inFlight = deps.mediaInFlight;
    const waits = () => {
      metrics.inc("media_waits");
      log.info({ weight, in_flight: inFlight.running }, "waiting for the in-flight media budget");
    };
    const result = await inFlight.run(
      async () => {
        // Media go back by reference: the most recent media turns get their bytes (L1, else
        // fetched again), older ones a placeholder. The turn being answered always gets its own.
        const attached = await attachMedia(history, deps.media.resolve, {
          turnsKept: deps.mediaLimits.turnsKept,
          limits: deps.mediaLimits,
          signal,
        });
        if (attached.failures.length > 0 || attached.invalid > 0) {
          log.warn(
            {
              failures: attached.failures.map((f) => ({ file: f.ref.fileUniqueId, kind: f.ref.kind })),
              invalid: attached.invalid,
            },
            "earlier media could not be attached; placeholders sent instead",
          );
        }
        return runAgent({
          history: attached.messages as StoredMessage[],
          skill: input.skill,
          // Per-user tools (notes: private data) only where the chat is the user's own.
          tools: toolsFor(input.skill.tools).filter((t) => input.privateChat || !t.perUser),
          model,
          maxTokens: config.ANTHROPIC_MAX_TOKENS,
          maxIterations: config.MAX_TOOL_ITERATIONS,
          webSearchMaxUses: input.skill.webSearch ? config.WEB_SEARCH_MAX_USES : 0,
          toolContext: {
            userId: actor.id,
            chatId: ctx.chat.id,
            notes: state.notes.for(op),
            now: () => new Date(deps.clock.now()),
            log,
          },
          locale,
          createMessage: deps.createMessage,
          ...(draft ? { streamMessage: deps.streamMessage, observer: draft } : {}),
          metrics,
          log,
          signal,
        });
      },
      signal,
      weight,
      waits,
    );
    return {
      // A refused or over-long turn is not kept as a normal turn: its prompt is never resent.
      status: result.keep ? "done" : DROPPED_STATUS,
      reply: result.keep ? result.reply : [],
      text: result.text,
      usage: result.usage,
      outcome: result.outcome,
      stopReason: result.stopReason,
      requests: result.iterations,
      model: result.model,
      drafts: await draft?.finish(),
    };
  } catch (err) {
    drafts = await draft?.finish();
    const billed = err instanceof AgentError ? { usage: err.usage, requests: err.requests } : undefined;
    const ended = (
      status: Ran["status"],
      outcome: Ran["outcome"],
      text: string,
      reply: StoredMessage[] = [],
    ): Ran => ({
      status,
      reply,
      text,
      usage: billed?.usage,
      outcome,
      stopReason: null,
      requests: billed?.requests ?? 0,
      model,
      drafts,
    });
    if (generation.signal.aborted) {
      // Stopped by the user: what was written so far is the answer, kept and marked.
      const partial = draft?.shown.trim() ?? "";
      const text = [partial, t(locale, "stopped-note")].filter(Boolean).join("\n\n");
      log.info({ partial_chars: partial.length }, "generation stopped by the user");
      return ended("done", "stopped", text, [{ role: "assistant", content: [{ type: "text", text }] }]);
    }
    metrics.inc("model_errors");
    if (isMediaError(err)) {
      // The turn's own media could not be loaded again (Telegram refused the file): say so.
      log.warn({ reason: err.reason }, "the turn's media is unavailable");
      return ended("failed", "media_failed", refusalText(locale, err));
    }
    const failure = deadline.aborted ? "timeout" : classifyModelError(err);
    if (failure) {
      log.error({ err, failure }, "model call failed");
      reportMisconfiguration(log, err);
      return ended("failed", "model_failed", modelFailureText(locale, failure));
    }
    log.error({ err }, "turn failed unexpectedly");
    return ended("failed", "bug", t(locale, "internal-error"));
  } finally {
    cancelWatch();
    unwatch();
    generation.end();
    await typing.stop();
  }
}
