import { createHash, timingSafeEqual } from "node:crypto";
import { type Bot, BotError } from "grammy";
import { type Logger, turnLogger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { StoredAlbum } from "../state/albums.js";
import { FencedError, StoreError } from "../state/errors.js";
import { type Clock, Deadline, DeadlineExceededError, REQUEST_BUDGET_MS } from "../timeouts.js";
import type { ChatQueue } from "./chat-queue.js";
import type { BotContext } from "./context.js";
import { RedeliverError } from "./redeliver.js";
import { isHandled, isStop, UpdateSchema, updateIds, type ValidUpdate } from "./update-schema.js";

export const SECRET_HEADER = "x-telegram-bot-api-secret-token";

export interface WebhookRequest {
  method: string;
  header: (name: string) => string | undefined;
  body: unknown;
}

export interface WebhookResponse {
  status: number;
  body: Record<string, unknown>;
}

/** Constant-time comparison (hashing first makes the lengths equal). */
export function secretMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * What each update was given on arrival (its deadline and logger; for an album's
 * turn, the album), read by the bot's handlers.
 */
export const arrivals = new WeakMap<object, { deadline: Deadline; log: Logger; album?: StoredAlbum }>();

const redeliver = (error: string): WebhookResponse => ({ status: 503, body: { ok: false, error } });

/**
 * Runs one validated update through the bot, on the chat's queue, and says what
 * Telegram should hear: 200 answered (or ignored), 503 deliver it again (storage
 * unavailable, the update in flight on another request, a reply not delivered
 * yet, out of time in the queue), 500 a bug (logged with ids). The deadline is
 * fixed when the update arrives and bounds everything it does, the wait in the
 * chat queue included. Used by the webhook and by album checks (an album's turn
 * runs as its first item's update).
 */
export function createUpdateRunner(deps: {
  bot: Bot<BotContext>;
  queue: ChatQueue;
  log: Logger;
  metrics: Metrics;
  clock: Clock;
}) {
  // Updates this instance is working on (queued or running). A redelivery of one of
  // them is answered at once: waiting would hold Telegram's connection and the chat's
  // queue for as long as the turn runs; the turn answers the user by itself.
  const running = new Set<number>();

  return async (update: ValidUpdate, extra: { album?: StoredAlbum } = {}): Promise<WebhookResponse> => {
    const deadline = Deadline.after(deps.clock, REQUEST_BUDGET_MS);
    const { chatId, userId } = updateIds(update);
    const log = turnLogger(deps.log, { update_id: update.update_id, chat_id: chatId, user_id: userId });
    if (!isHandled(update) || chatId === undefined) {
      log.debug("update type not handled; ignored");
      return { status: 200, body: { ok: true, ignored: true } };
    }
    if (running.has(update.update_id)) {
      deps.metrics.inc("updates_in_flight");
      log.info("redelivery of an update this instance is working on; asking Telegram to retry later");
      return redeliver("in progress");
    }
    running.add(update.update_id);
    arrivals.set(update, { deadline, log, ...extra });
    try {
      const handle = () => deps.bot.handleUpdate(update as Parameters<Bot["handleUpdate"]>[0]);
      // A stop must reach the turn it stops, not wait behind it in the chat's queue.
      if (isStop(update)) await handle();
      else await deps.queue.run(chatId, handle, deadline.signal());
      return { status: 200, body: { ok: true } };
    } catch (e) {
      const err = e instanceof BotError ? e.error : e;
      if (err instanceof RedeliverError) {
        log.info({ reason: err.reason }, "asking Telegram to deliver the update again");
        return redeliver(err.reason);
      }
      if (err instanceof DeadlineExceededError) {
        log.warn("out of time before the update could be handled; asking Telegram to redeliver");
        return redeliver("out of time");
      }
      if (err instanceof FencedError) {
        // Another request owns the update now and answers it; this one changed nothing.
        return { status: 200, body: { ok: true } };
      }
      if (err instanceof StoreError && err.transient) {
        log.warn(
          { err, kind: err.kind, code: err.code },
          "storage unavailable; asking Telegram to redeliver",
        );
        return redeliver("temporarily unavailable");
      }
      log.error({ err }, "update failed");
      return { status: 500, body: { ok: false, error: "internal error" } };
    } finally {
      running.delete(update.update_id);
    }
  };
}

/**
 * The HTTP contract with Telegram, independent of the hosting framework:
 * 405 not a POST, 401 wrong/missing secret, 400 not an Update; everything else
 * is the update runner's answer.
 */
export function createWebhookHandler(deps: {
  secret: string;
  run: ReturnType<typeof createUpdateRunner>;
  log: Logger;
  metrics: Metrics;
}) {
  return async (req: WebhookRequest): Promise<WebhookResponse> => {
    if (req.method !== "POST") return { status: 405, body: { ok: false, error: "method not allowed" } };
    if (!secretMatches(req.header(SECRET_HEADER), deps.secret)) {
      deps.log.warn({ has_header: req.header(SECRET_HEADER) !== undefined }, "webhook secret rejected");
      return { status: 401, body: { ok: false, error: "unauthorized" } };
    }
    const parsed = UpdateSchema.safeParse(req.body);
    if (!parsed.success) {
      deps.log.warn(
        { issues: parsed.error.issues.slice(0, 3).map((i) => i.path.join(".")) },
        "invalid update",
      );
      return { status: 400, body: { ok: false, error: "body is not a Telegram Update" } };
    }
    deps.metrics.inc("updates_received");
    return deps.run(parsed.data);
  };
}
