import { answerOnce } from "./answer.js";
import type { BotContext, BotDeps } from "./context.js";
import type { RefusalKind } from "./refusals.js";

/**
 * Refusals made before the claim although the update may have one already: a turn that
 * started under budget, crossed it with its own spend, and whose stored reply awaits its
 * redelivery. Suppressing that redelivery would lose the reply, so for these kinds the
 * claim is asked first (one read, and only when the refusal would be suppressed).
 */
const MAY_BE_CLAIMED: ReadonlySet<RefusalKind> = new Set(["over_budget"]);

/**
 * Refuses an update politely, at most once per user, chat and kind per window
 * (see Refusals): the first refusal is answered exactly once like a command, the
 * ones after it cost no commit and no Bot API call. An update answered already
 * (a redelivery) gets what its claim says, and uses up no window.
 */
export async function refuse(
  deps: BotDeps,
  ctx: BotContext,
  kind: RefusalKind,
  text: string,
  windowMs?: number,
): Promise<void> {
  const chatId = ctx.chat!.id;
  const first = deps.refusals.first(chatId, ctx.actor.id, kind, windowMs);
  if (!first) {
    const claimed =
      MAY_BE_CLAIMED.has(kind) && (await deps.state.claims.read(ctx.update.update_id, ctx.op)).exists;
    if (!claimed) {
      deps.metrics.inc("refusals_suppressed");
      ctx.log.info({ refusal: kind }, "refusal already sent in this window; ignored");
      return;
    }
  }
  ctx.log.info({ refusal: kind }, "refused");
  let sent: boolean;
  try {
    sent = await answerOnce(deps, ctx, text);
  } catch (err) {
    if (first) deps.refusals.unmark(chatId, ctx.actor.id, kind);
    throw err;
  }
  // The update was answered before (its stored reply was re-sent, or it is done): nobody saw this refusal.
  if (first && !sent) deps.refusals.unmark(chatId, ctx.actor.id, kind);
}
