import { type Api, GrammyError } from "grammy";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { markdownToTelegramHtml, stripMarkdown } from "./format.js";
import { splitMessage, TELEGRAM_TEXT_LIMIT } from "./split.js";

export type SendOutcome = "sent" | "blocked";

/**
 * Sends Claude's Markdown as Telegram messages: split at paragraph/line/word
 * boundaries under 4096 characters, formatted as Telegram HTML, and resent as
 * plain text when Telegram rejects the formatting (400; classified by status,
 * not by the description text). 429s are retried by the auto-retry transformer.
 * A user who blocked the bot (403) is reported, not retried.
 */
export async function sendReply(
  api: Api,
  chatId: number,
  markdown: string,
  deps: { log: Logger; metrics: Metrics; replyTo?: number | undefined },
): Promise<SendOutcome> {
  const chunks = splitMessage(markdown.trim() || "…", TELEGRAM_TEXT_LIMIT);
  for (const [i, chunk] of chunks.entries()) {
    const reply =
      i === 0 && deps.replyTo
        ? { reply_parameters: { message_id: deps.replyTo, allow_sending_without_reply: true } }
        : {};
    try {
      await api.sendMessage(chatId, markdownToTelegramHtml(chunk), {
        parse_mode: "HTML",
        link_preview_options: { is_disabled: true },
        ...reply,
      });
    } catch (err) {
      if (!(err instanceof GrammyError)) throw err;
      deps.metrics.inc("telegram_errors");
      if (err.error_code === 403) {
        deps.log.warn(
          { error_code: err.error_code, method: err.method },
          "user blocked the bot; reply dropped",
        );
        return "blocked";
      }
      if (err.error_code !== 400) throw err;
      deps.log.warn(
        { error_code: err.error_code, method: err.method },
        "formatted reply rejected; sending plain text",
      );
      for (const plain of splitMessage(stripMarkdown(chunk), TELEGRAM_TEXT_LIMIT)) {
        await api.sendMessage(chatId, plain, { link_preview_options: { is_disabled: true }, ...reply });
      }
    }
  }
  return "sent";
}

/** Nobody notices a missing "typing…" on a turn faster than this; it saves a Bot API call. */
export const TYPING_DELAY_MS = 300;

/**
 * Shows "typing…" until stopped, from TYPING_DELAY_MS on: Telegram clears a chat
 * action after ~5 s, so it is repeated every 4 s. Failures are logged at debug
 * (cosmetic, never fatal).
 */
export function keepTyping(
  api: Api,
  chatId: number,
  log: Logger,
  delayMs = TYPING_DELAY_MS,
): { stop: () => Promise<void> } {
  let pending: Promise<unknown> = Promise.resolve();
  let repeat: NodeJS.Timeout | undefined;
  const send = () => {
    pending = api
      .sendChatAction(chatId, "typing")
      .catch((err: unknown) => log.debug({ err }, "typing indicator failed"));
  };
  const first = setTimeout(() => {
    send();
    repeat = setInterval(send, 4_000);
  }, delayMs);
  return {
    stop: async () => {
      clearTimeout(first);
      clearInterval(repeat);
      await pending;
    },
  };
}
