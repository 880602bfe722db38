import type { Api } from "grammy";
import type { Metrics } from "../observability/metrics.js";
import type { ClaimStore, Fence } from "../state/claims.js";
import { FencedError } from "../state/errors.js";
import type { Op } from "../state/op.js";
import type { Receipts } from "../state/receipts.js";
import { RedeliverError } from "./redeliver.js";
import { classifySendError, type Destination, type ReplyFormat, sendPart } from "./reply.js";
import { splitMessage } from "./split.js";

export type Delivered = "delivered" | "blocked" | "refused";

export interface DeliverDeps {
  api: Api;
  claims: ClaimStore;
  receipts: Receipts;
  metrics: Metrics;
  /** How each part is sent (reply.ts); HTML when absent. */
  format?: ReplyFormat | undefined;
}

/** The parts a reply is sent as; deterministic, so a resumed delivery cuts the same parts. */
export function replyParts(markdown: string): string[] {
  return splitMessage(markdown.trim() || "…");
}

/**
 * Delivers a stored reply (the claim is `answered` under `fence`), from part
 * `from` on. Each part is sent only while we still own the claim: the fenced
 * write just before it (the answer, a takeover, or the previous part's progress)
 * succeeded, and the send is bounded by the request's deadline, which the lease
 * outlives. After each part but the last the claim records it (`sent`); after
 * the last, a receipt moves it to `done` (state/receipts.ts), so a later
 * redelivery is a duplicate.
 *
 * A send that fails leaves the claim `undelivered` at the first part not
 * confirmed and throws RedeliverError (the webhook answers 503): the redelivery,
 * on any instance, sends the stored reply from there at once, without the model.
 * A definite failure (Telegram answered with an error) is never shown twice; an
 * unknown one (timeout, reset) is retried, so that part may rarely show twice,
 * but is never lost. A user who blocked the bot, or a chat Telegram refuses for
 * good (400), ends the delivery: retrying cannot help.
 */
export async function deliver(
  deps: DeliverDeps,
  fence: Fence,
  to: Destination,
  reply: { text: string; sent: number },
  op: Op,
): Promise<Delivered> {
  const parts = replyParts(reply.text);
  let current = fence;
  for (let k = reply.sent; k < parts.length; k++) {
    try {
      if (op.deadline.expired()) throw new RedeliverError("out of time");
      await sendPart(deps.api, to, parts[k]!, {
        log: op.log,
        signal: op.deadline.signal(),
        first: k === 0,
        format: deps.format,
      });
    } catch (err) {
      deps.metrics.inc("telegram_errors");
      const failure = err instanceof RedeliverError ? "retry" : classifySendError(err);
      // Never the payload: it is the user's reply.
      const fields = { part: k + 1, parts: parts.length, failure, error: describe(err) };
      if (failure === "blocked" || failure === "refused") {
        op.log.warn(
          fields,
          failure === "blocked"
            ? "user blocked the bot; reply dropped"
            : "Telegram refused the reply; dropped",
        );
        deps.receipts.add(current, k);
        return failure;
      }
      deps.metrics.inc("replies_undelivered");
      op.log.error(fields, "reply not delivered; Telegram will redeliver the update and it is sent then");
      try {
        await deps.claims.advance(current, { state: "undelivered", sent: k }, op);
      } catch (markErr) {
        if (markErr instanceof FencedError) throw markErr;
        // Still `answered` under our lease: the redelivery takes delivery over after it.
        op.log.error({ err: markErr }, "could not record the failed delivery");
      }
      throw new RedeliverError("reply not delivered yet", { cause: err });
    }
    if (k === parts.length - 1) deps.receipts.add(current, k + 1);
    else current = await deps.claims.advance(current, { sent: k + 1 }, op);
  }
  return "delivered";
}

/** What a failed Bot API call was, without its payload (error code, method, description). */
function describe(err: unknown): Record<string, unknown> {
  if (err && typeof err === "object") {
    const e = err as {
      name?: string;
      error_code?: number;
      method?: string;
      description?: string;
      message?: string;
    };
    return {
      name: e.name,
      error_code: e.error_code,
      method: e.method,
      description: e.description ?? e.message,
    };
  }
  return { message: String(err) };
}
