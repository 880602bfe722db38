import { autoRetry } from "@grammyjs/auto-retry";
import { Bot, type Transformer } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { t } from "../i18n/catalogue.js";
import { localeOf } from "../i18n/locale.js";
import { turnLogger } from "../observability/logger.js";
import { newTally } from "../observability/turn-stats.js";
import { Deadline, REQUEST_BUDGET_MS } from "../timeouts.js";
import { actorOf } from "./actor.js";
import { isForUs, isServiceMessage, leadingCommand } from "./addressed.js";
import { answerHelp, COMMAND_NAMES, commands } from "./commands.js";
import type { BotContext, BotDeps } from "./context.js";
import { mediaTurn } from "./media-turn.js";
import { refuse } from "./refuse.js";
import { textTurn } from "./text-turn.js";
import { arrivals } from "./webhook.js";

/** The username the bot is configured with when nobody set one (see the cold-start WARN). */
export const PLACEHOLDER_USERNAME = "agent_bot";

/**
 * Bot identity without a getMe call on every cold start: the id is the token's
 * prefix and the username comes from config.
 */
export function botInfoFrom(token: string, username: string): UserFromGetMe {
  return {
    id: Number(token.split(":")[0]),
    is_bot: true,
    first_name: username,
    username,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  } as UserFromGetMe;
}

/**
 * Methods whose 429 is honoured by skipping, not by waiting: a draft frame that waited
 * out retry_after would show stale text late, so the draft streamer drops it and sends
 * the newest text once the chat may have frames again (telegram/draft-stream.ts).
 */
export const NOT_RETRIED = new Set(["sendMessageDraft", "sendRichMessageDraft"]);

/**
 * auto-retry for every Bot API call but draft frames: 429 (retry_after) and 5xx are
 * retried with the delay Telegram asks for, never past the request's deadline (every
 * call passes its AbortSignal). A transport error is not retried here: the request may
 * have arrived, and the claim lifecycle decides what to do about it (telegram/deliver.ts).
 */
export function retryExceptDrafts(): Transformer {
  const retry = autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30, rethrowHttpErrors: true });
  return (prev, method, payload, signal) =>
    NOT_RETRIED.has(method) ? prev(method, payload, signal) : retry(prev, method, payload, signal);
}

/** Assembles the bot from its features; every dependency is passed in. */
export function createBot(deps: BotDeps): Bot<BotContext> {
  const { config } = deps;
  const bot = new Bot<BotContext>(config.TELEGRAM_BOT_TOKEN, {
    client: { apiRoot: config.TELEGRAM_API_ROOT },
    botInfo: botInfoFrom(config.TELEGRAM_BOT_TOKEN, config.TELEGRAM_BOT_USERNAME),
  });
  bot.api.config.use(retryExceptDrafts());

  bot.use((ctx, next) => {
    // Webhook updates carry the deadline fixed on arrival and their logger; long polling
    // starts both here.
    const arrival = arrivals.get(ctx.update);
    ctx.log =
      arrival?.log ??
      turnLogger(deps.log, { update_id: ctx.update.update_id, chat_id: ctx.chat?.id, user_id: ctx.from?.id });
    const deadline = arrival?.deadline ?? Deadline.after(deps.clock, REQUEST_BUDGET_MS);
    ctx.op = { log: ctx.log, deadline, tally: newTally() };
    if (ctx.message) ctx.actor = actorOf(ctx.message);
    return next();
  });

  // Telegram's stop button on a draft: stop that turn (its draft_id is its update id).
  bot.on("stopped_message_generation", async (ctx) => {
    const stop = ctx.stoppedMessageGeneration!;
    const where = { chatId: stop.chat.id, threadId: stop.message_thread_id };
    deps.generations.stop(where, stop.draft_id + 1);
    await deps.state.stops.request(where, stop.draft_id + 1, ctx.op);
  });

  // Only messages for this bot go further: service messages (joins, pins) never get an
  // answer, and in groups only our commands, mentions and replies to us count.
  bot.on("message", (ctx, next) =>
    !isServiceMessage(ctx.message) && isForUs(ctx.message, ctx.me, COMMAND_NAMES) ? next() : undefined,
  );

  // After the filter: where the bot sees every group message, outsiders are not refused
  // for messages that were never meant for it.
  const allowed = new Set(config.ALLOWED_USER_IDS);
  bot.use(async (ctx, next) => {
    if (allowed.size === 0 || (ctx.from && allowed.has(ctx.from.id))) return next();
    await refuse(deps, ctx, "not_allowed", t(localeOf(ctx), "not-allowed"));
  });

  bot.use(commands(deps));

  // A command we do not have: the help text, never a paid model turn.
  bot.on("message:text", async (ctx, next) => {
    const command = leadingCommand(ctx.message);
    if (!command || COMMAND_NAMES.has(command.name)) return next();
    await answerHelp(deps, ctx);
  });

  bot.on("message:text", textTurn(deps));
  bot.on("message", mediaTurn(deps));
  return bot;
}
