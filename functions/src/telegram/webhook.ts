import { createHash, timingSafeEqual } from "node:crypto";
import { type Bot, BotError } from "grammy";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { StoreError } from "../state/errors.js";
import type { ChatQueue } from "./chat-queue.js";
import type { BotContext } from "./context.js";
import { isHandled, UpdateSchema, updateIds } from "./update-schema.js";

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
 * The HTTP contract with Telegram, independent of the hosting framework:
 * 401 wrong/missing secret, 400 not an Update, 200 ignored/done, 503 when the
 * update should be redelivered (storage unavailable before the turn was
 * claimed: nothing was written), 500 for a bug (logged with ids).
 */
export function createWebhookHandler(deps: {
  secret: string;
  bot: Bot<BotContext>;
  queue: ChatQueue;
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
    const update = parsed.data;
    deps.metrics.inc("updates_received");
    const { chatId, userId } = updateIds(update);
    const log = deps.log.child({ update_id: update.update_id, chat_id: chatId, user_id: userId });
    if (!isHandled(update) || chatId === undefined) {
      log.debug("update type not handled; ignored");
      return { status: 200, body: { ok: true, ignored: true } };
    }
    try {
      await deps.queue.run(chatId, () => deps.bot.handleUpdate(update as Parameters<Bot["handleUpdate"]>[0]));
      return { status: 200, body: { ok: true } };
    } catch (e) {
      const err = e instanceof BotError ? e.error : e;
      if (err instanceof StoreError && err.transient) {
        log.warn(
          { err, kind: err.kind, code: err.code },
          "storage unavailable; asking Telegram to redeliver",
        );
        return { status: 503, body: { ok: false, error: "temporarily unavailable" } };
      }
      log.error({ err }, "update failed");
      return { status: 500, body: { ok: false, error: "internal error" } };
    }
  };
}
