import { autoRetry } from "@grammyjs/auto-retry";
import { Bot } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { turnLogger } from "../observability/logger.js";
import { commands } from "./commands.js";
import type { BotContext, BotDeps } from "./context.js";
import { sendReply } from "./reply.js";
import { textTurn } from "./text-turn.js";
import { TEXT } from "./texts.js";

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

/** Assembles the bot from its features; every dependency is passed in. */
export function createBot(deps: BotDeps): Bot<BotContext> {
  const { config } = deps;
  const bot = new Bot<BotContext>(config.TELEGRAM_BOT_TOKEN, {
    client: { apiRoot: config.TELEGRAM_API_ROOT },
    botInfo: botInfoFrom(config.TELEGRAM_BOT_TOKEN, config.TELEGRAM_BOT_USERNAME),
  });
  // 429 (retry_after) and 5xx from Telegram are retried with the delay Telegram asks for.
  bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30 }));

  bot.use((ctx, next) => {
    ctx.log = turnLogger(deps.log, {
      update_id: ctx.update.update_id,
      chat_id: ctx.chat?.id,
      user_id: ctx.from?.id,
    });
    return next();
  });

  const allowed = new Set(config.ALLOWED_USER_IDS);
  bot.use(async (ctx, next) => {
    if (allowed.size === 0 || (ctx.from && allowed.has(ctx.from.id))) return next();
    if (ctx.chat && (await deps.state.conversations.claimUpdate(ctx.update.update_id, ctx.chat.id))) {
      ctx.log.info("user not on the allowlist; refused");
      await sendReply(ctx.api, ctx.chat.id, TEXT.notAllowed, { log: ctx.log, metrics: deps.metrics });
    }
  });

  // In groups, answer only commands and messages that mention or reply to the bot.
  bot.use((ctx, next) => {
    const msg = ctx.message;
    if (!msg || msg.chat.type === "private") return next();
    const text = msg.text ?? "";
    const addressed =
      text.startsWith("/") ||
      text.includes(`@${ctx.me.username}`) ||
      msg.reply_to_message?.from?.id === ctx.me.id;
    return addressed ? next() : undefined;
  });

  bot.use(commands(deps));
  bot.on("message:text", textTurn(deps));
  bot.on("message", async (ctx) => {
    if (await deps.state.conversations.claimUpdate(ctx.update.update_id, ctx.chat.id)) {
      await sendReply(ctx.api, ctx.chat.id, TEXT.textOnly, { log: ctx.log, metrics: deps.metrics });
    }
  });
  return bot;
}
