import { type Api, GrammyError, HttpError } from "grammy";
import type { Logger } from "../observability/logger.js";
import type { Clock } from "../timeouts.js";
import { markdownToTelegramHtml, stripMarkdown } from "./format.js";

/** grammY's Node build types AbortSignal from a polyfill; the runtime one is what it uses. */
export type ApiSignal = Parameters<Api["sendMessage"]>[3];
export const apiSignal = (signal: AbortSignal | undefined): ApiSignal => signal as unknown as ApiSignal;

/** Where a reply goes. */
export interface Destination {
  chatId: number;
  /** The topic the reply goes to (forums, private chats with topics). */
  threadId?: number | null | undefined;
  /** The user's message the first part threads to. */
  replyTo?: number | null | undefined;
}

/**
 * How a failed send is handled (see telegram/deliver.ts):
 * - blocked: the user blocked the bot (403): drop the reply, remember it;
 * - refused: Telegram definitely refused this message for good (400: chat gone, no
 *   rights, closed topic): drop it, retrying cannot help;
 * - retry: Telegram answered but did not take it now (429 beyond our deadline, 5xx,
 *   401/404 while the token is wrong): it was not shown; send it again later;
 * - unknown: the request may have reached Telegram (timeout, reset): at-least-once,
 *   so it is sent again later and may rarely show twice.
 */
export type SendFailure = "blocked" | "refused" | "retry" | "unknown";

export function classifySendError(err: unknown): SendFailure {
  if (err instanceof GrammyError) {
    if (err.error_code === 403) return "blocked";
    if (err.error_code === 400) return "refused";
    return "retry";
  }
  if (err instanceof HttpError) return "unknown";
  return "unknown"; // an abort at our deadline while the request was on the wire
}

/**
 * Telegram's only signal that it rejected our formatting is the description of a
 * 400 ("Bad Request: can't parse entities: …"); there is no error code for it. This
 * is the one place we read a description, so a 400 for any other reason (no
 * rights, closed topic, migrated chat) never triggers a second, plain send.
 */
export function isFormattingRejected(err: unknown): boolean {
  return (
    err instanceof GrammyError && err.error_code === 400 && /can't parse entities/i.test(err.description)
  );
}

/**
 * How answers are sent (config REPLY_FORMAT):
 * - "html" (default): Claude's Markdown converted to Telegram HTML by format.ts, with
 *   sendMessage; every client renders it.
 * - "rich": sendRichMessage with the Markdown as InputRichMessage.markdown (Bot API
 *   10.1, core.telegram.org/bots/api#sendrichmessage, any chat type): Telegram parses
 *   it itself into headings, lists, tables, code and math, up to 32768 characters, 500
 *   blocks, 16 levels of nesting and 20 table columns (#rich-messages, Rich Message
 *   Limits).
 * HTML is the default because a rich message that Telegram accepts can still be
 * unreadable: Telegram Web (K and A), the macOS app and third-party clients showed
 * rich messages as "This message is not supported" through 2026 (tweb#664,
 * hermes-agent#45785, openclaw#94226, which all made rich opt-in), and the Bot API
 * says nothing about the recipient's client, so no fallback can catch that. Rich
 * Markdown also reads `$…$` as math and `==…==` as marked text, which prose about
 * prices or comparisons can trip. Parts stay cut at 4096 characters either way, so a
 * part can fall back to HTML on its own and a resumed delivery cuts the same parts.
 */
export type ReplyFormat = "html" | "rich";

/**
 * Telegram definitely refused a rich message as rich content, so the same part can go
 * as HTML with no risk of showing twice: a 400 whose description names rich-message
 * validation (the RICH_* errors, e.g. RICH_MESSAGE_EMAIL_INVALID), a parse failure or
 * an empty rich message (older Bot API servers), or a 404 from a Bot API server that
 * predates the method (a self-hosted one). Like isFormattingRejected, the description
 * is the only signal Telegram gives; every other 400 (no rights, chat gone) and every
 * transport error keeps its own meaning (classifySendError).
 */
export function isRichRejected(err: unknown): boolean {
  if (!(err instanceof GrammyError)) return false;
  if (err.error_code === 404) return err.method === "sendRichMessage";
  return err.error_code === 400 && /\bRICH_[A-Z_]+|can't parse|rich message/i.test(err.description);
}

/**
 * Sends one part of a reply: as a rich message when that is the format and Telegram
 * takes it, else Claude's Markdown as Telegram HTML, else as plain text when Telegram
 * rejects the formatting. Only a definite rejection moves to the next form; anything
 * else (an unknown outcome above all: the message may have arrived) is thrown for the
 * claim lifecycle to handle (telegram/deliver.ts). One part is one message either way.
 */
export async function sendPart(
  api: Api,
  to: Destination,
  markdown: string,
  opts: { log: Logger; signal: AbortSignal; first: boolean; format?: ReplyFormat | undefined },
): Promise<void> {
  const thread = to.threadId ? { message_thread_id: to.threadId } : {};
  const replyTo =
    opts.first && to.replyTo
      ? { reply_parameters: { message_id: to.replyTo, allow_sending_without_reply: true } }
      : {};
  if (opts.format === "rich") {
    try {
      await api.sendRichMessage(to.chatId, { markdown }, { ...thread, ...replyTo }, apiSignal(opts.signal));
      return;
    } catch (err) {
      if (!isRichRejected(err)) throw err;
      const { error_code, description } = err as GrammyError;
      opts.log.warn(
        { error_code, description, method: "sendRichMessage" },
        "rich reply refused; sending it as HTML",
      );
    }
  }
  const common = { link_preview_options: { is_disabled: true }, ...thread, ...replyTo };
  try {
    await api.sendMessage(
      to.chatId,
      markdownToTelegramHtml(markdown),
      { ...common, parse_mode: "HTML" },
      apiSignal(opts.signal),
    );
  } catch (err) {
    if (!isFormattingRejected(err)) throw err;
    opts.log.warn({ error_code: 400, method: "sendMessage" }, "formatted reply rejected; sending plain text");
    await api.sendMessage(to.chatId, stripMarkdown(markdown).trim() || "…", common, apiSignal(opts.signal));
  }
}

/** A reply within a second needs no indicator; skipping it saves a Bot API call per quick turn (measurable CPU under load). */
export const TYPING_DELAY_MS = 1_000;
/** Telegram clears a chat action after ~5 s. */
const TYPING_REPEAT_MS = 4_000;

/**
 * Shows "typing…" until stopped, from TYPING_DELAY_MS on, repeated every 4 s.
 * Failures are logged at debug (cosmetic, never fatal).
 */
export function keepTyping(
  api: Api,
  chatId: number,
  deps: { log: Logger; clock: Clock; signal?: AbortSignal; threadId?: number | undefined },
  delayMs = TYPING_DELAY_MS,
): { stop: () => Promise<void> } {
  let pending: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let cancel = () => {};
  const tick = () => {
    if (stopped) return;
    pending = api
      .sendChatAction(
        chatId,
        "typing",
        deps.threadId ? { message_thread_id: deps.threadId } : undefined,
        apiSignal(deps.signal),
      )
      .catch((err: unknown) => deps.log.debug({ err }, "typing indicator failed"));
    cancel = deps.clock.schedule(TYPING_REPEAT_MS, tick);
  };
  cancel = deps.clock.schedule(delayMs, tick);
  return {
    stop: async () => {
      stopped = true;
      cancel();
      await pending;
    },
  };
}
