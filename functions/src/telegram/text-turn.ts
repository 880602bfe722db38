import type { Filter } from "grammy";
import { type AgentResult, runAgent } from "../agent/loop.js";
import { classifyModelError, MODEL_FAILURE_TEXT } from "../agent/model-errors.js";
import { toolsFor } from "../agent/tools/index.js";
import { newTally } from "../observability/turn-stats.js";
import { historyFor, replyText, toModelMessages } from "../state/history.js";
import { withRetry } from "../state/retry.js";
import { activeSkillId } from "../state/sessions.js";
import { TURN_DEADLINE_MS } from "../timeouts.js";
import type { BotContext, BotDeps } from "./context.js";
import { keepTyping, sendReply } from "./reply.js";
import { TEXT } from "./texts.js";

type TextContext = Filter<BotContext, "message:text">;

/**
 * One text turn, exactly once:
 *  1. claim the update and make the user's message durable (one commit, 0 reads warm);
 *  2. run the agent with the chat's history and the user's skill (typing shown meanwhile);
 *  3. persist the reply, usage and the claim's completion (one commit, retried);
 *  4. send the reply (split, formatted, plain-text fallback).
 * Persisting before sending means a crash after step 3 never calls the model again.
 */
export function textTurn(deps: BotDeps) {
  const { config, state, metrics } = deps;
  return async (ctx: TextContext): Promise<void> => {
    const log = ctx.log;
    const started = performance.now();
    const tally = newTally();
    const chatId = ctx.chat.id;
    const userId = ctx.from.id;
    const updateId = ctx.update.update_id;
    const text = ctx.message.text;
    const say = (t: string) =>
      sendReply(ctx.api, chatId, t, { log, metrics, replyTo: ctx.message.message_id });

    if (text.length > config.MAX_INPUT_CHARS) {
      if (await state.conversations.claimUpdate(updateId, chatId, tally)) {
        log.info({ chars: text.length, limit: config.MAX_INPUT_CHARS }, "message too long; refused");
        await say(TEXT.tooLong(config.MAX_INPUT_CHARS, text.length));
      }
      return;
    }

    const [session, begun] = await Promise.all([
      state.sessions.load(userId, tally),
      state.conversations.beginTurn(
        {
          chatId,
          userId,
          updateId,
          user: [{ type: "text", text }],
          ratePerMinute: config.RATE_LIMIT_PER_MINUTE,
        },
        log,
        tally,
      ),
    ]);
    if (begun.kind === "duplicate") {
      metrics.inc("updates_duplicate");
      log.info({ reason: begun.reason }, "duplicate update ignored");
      return;
    }
    if (begun.kind === "resend") {
      // An earlier instance stored the reply and died before Telegram had it.
      const stored = begun.turn?.status === "done" ? replyText(begun.turn.reply) : "";
      log.warn({ had_reply: stored !== "" }, "re-sending a stored reply without calling the model");
      await say(stored || TEXT.internal);
      return;
    }
    if (begun.kind === "rate_limited") {
      log.info({ retry_after_s: begun.retryAfterSec }, "rate limited; no model call");
      await say(TEXT.rateLimited(begun.retryAfterSec));
      return;
    }
    const skill = await state.skills.resolve(activeSkillId(session), tally);
    const turns = historyFor(begun.conversation.value!.turns, begun.turn);
    const stateMs = performance.now() - started;
    metrics.observe("state_load_ms", stateMs);
    const readsBeforeModel = tally.reads;

    const typing = keepTyping(ctx.api, chatId, log);
    const deadline = AbortSignal.timeout(TURN_DEADLINE_MS);
    const modelStarted = performance.now();
    let result: AgentResult | null = null;
    let failureText: string | null = null;
    try {
      result = await runAgent({
        history: toModelMessages(turns),
        skill,
        tools: toolsFor(skill.tools),
        model: skill.model ?? config.ANTHROPIC_MODEL,
        maxTokens: config.ANTHROPIC_MAX_TOKENS,
        maxIterations: config.MAX_TOOL_ITERATIONS,
        toolContext: { userId, chatId, notes: state.notes, now: deps.now, log },
        createMessage: deps.createMessage,
        metrics,
        log,
        signal: deadline,
      });
    } catch (err) {
      const failure = deadline.aborted ? "timeout" : classifyModelError(err);
      metrics.inc("model_errors");
      if (failure) {
        log.error({ err, failure }, "model call failed");
        failureText = MODEL_FAILURE_TEXT[failure];
      } else {
        // A bug, not the API: the update is claimed, so end the turn in words (the
        // details, stack included, go to the log only) rather than leave it hanging.
        log.error({ err }, "turn failed unexpectedly");
        failureText = TEXT.internal;
      }
    } finally {
      await typing.stop();
    }
    const modelMs = performance.now() - modelStarted;

    // Persist before replying: a redelivery after this point is a duplicate, not a second model call.
    const persistStarted = performance.now();
    let saved = true;
    try {
      await withRetry(
        "persist turn",
        () =>
          state.conversations.completeTurn(
            {
              chatId,
              userId,
              updateId,
              reply: result?.reply ?? [],
              status: result ? "done" : "failed",
              usage: result?.usage,
            },
            log,
            tally,
          ),
        { metrics, log },
      );
    } catch (err) {
      saved = false;
      log.error({ err }, "turn not persisted after retries");
    }
    const persistMs = performance.now() - persistStarted;

    const replyStarted = performance.now();
    const outcome = await say(failureText ?? `${result!.text || "…"}${saved ? "" : TEXT.notSaved}`);
    if (outcome === "blocked") await state.sessions.markBlocked(userId);
    const replyMs = performance.now() - replyStarted;

    metrics.inc(result ? "turns_completed" : "turns_failed");
    metrics.observe("model_ms", modelMs);
    metrics.observe("persist_ms", persistMs);
    metrics.observe("reply_ms", replyMs);
    const turnMs = performance.now() - started;
    metrics.observe("turn_ms", turnMs);
    log.info(
      {
        model: result?.model ?? skill.model ?? config.ANTHROPIC_MODEL,
        skill: skill.id,
        resumed: begun.resumed,
        iterations: result?.iterations ?? 0,
        hit_iteration_limit: result?.hitIterationLimit ?? false,
        tokens: result?.usage,
        firestore: { ...tally, reads_before_model: readsBeforeModel },
        latency_ms: {
          state: Math.round(stateMs),
          model: Math.round(modelMs),
          persist: Math.round(persistMs),
          reply: Math.round(replyMs),
          total: Math.round(turnMs),
        },
        outcome: result ? "answered" : "model_failed",
      },
      "turn",
    );
  };
}
