import type { Effect, Fence, Seen } from "../state/claims.js";
import type { Claim } from "../state/schemas.js";
import type { BotContext, BotDeps } from "./context.js";
import { type Delivered, deliver } from "./deliver.js";
import { RedeliverError } from "./redeliver.js";
import { threadOf } from "./topic.js";

/** Where replies to this update go: its chat (and topic), threaded to the user's message. */
function destination(ctx: BotContext, replyTo?: number | null) {
  return {
    chatId: ctx.chat!.id,
    threadId: threadOf(ctx.message),
    replyTo: replyTo ?? ctx.message?.message_id,
  };
}

/** Delivers a reply whose claim we hold, and records a user who blocked the bot. */
export async function deliverOwned(
  deps: BotDeps,
  ctx: BotContext,
  fence: Fence,
  reply: { text: string; sent: number; replyTo?: number | null | undefined },
): Promise<Delivered> {
  if (reply.text === "") {
    // Nothing to say (a /stop whose stopped answer is the reply): the claim is simply done.
    deps.state.receipts.add(fence, 0);
    return "delivered";
  }
  const outcome = await deliver(
    {
      api: ctx.api,
      claims: deps.state.claims,
      receipts: deps.state.receipts,
      metrics: deps.metrics,
      format: deps.config.REPLY_FORMAT,
    },
    fence,
    destination(ctx, reply.replyTo),
    reply,
    ctx.op,
  );
  if (outcome === "blocked") await deps.state.sessions.markBlocked(ctx.actor.id, ctx.op);
  return outcome;
}

/** Sends a stored reply whose delivery we just took over (an earlier send failed or its owner died). */
export async function resend(deps: BotDeps, ctx: BotContext, fence: Fence, claim: Claim): Promise<void> {
  deps.metrics.inc("replies_resent");
  ctx.log.warn({ from_part: claim.sent + 1 }, "re-sending a stored reply without calling the model");
  await deliverOwned(deps, ctx, fence, { text: claim.reply ?? "", sent: claim.sent, replyTo: claim.replyTo });
}

/**
 * An update answered already (200, nothing else) or in flight on another request
 * (503: Telegram comes back later). One this very instance delivered, whose
 * receipt is still on the way, is answered, not in flight.
 */
export function alreadyHandled(deps: BotDeps, ctx: BotContext, kind: "done" | "in_flight"): void {
  if (kind === "done" || deps.state.receipts.has(ctx.update.update_id)) {
    deps.metrics.inc("updates_duplicate");
    ctx.log.info("duplicate update ignored");
    return;
  }
  deps.metrics.inc("updates_in_flight");
  throw new RedeliverError("in flight elsewhere");
}

/**
 * What to do with an update whose claim exists already (see claims.ts): nothing
 * for a done one, 503 while another request holds it, and a resend for a stored
 * reply whose delivery is ours to take over.
 */
export async function followClaim(deps: BotDeps, ctx: BotContext, seen: Seen): Promise<void> {
  if (seen.next === "done" || seen.next === "in_flight") return alreadyHandled(deps, ctx, seen.next);
  if (seen.next !== "deliver") {
    // Not reachable for answered claims: openAnswered creates or replaces those itself.
    throw new Error(`unexpected claim decision ${seen.next}`);
  }
  const input = { updateId: ctx.update.update_id, chatId: ctx.chat!.id };
  const fence = await deps.state.claims.takeOver(seen.base, "answered", input, ctx.op);
  if (!fence) throw new RedeliverError("in flight elsewhere"); // another request took it first
  await resend(deps, ctx, fence, seen.base.value!);
}

/**
 * Answers an update with a fixed reply (a command, a refusal) exactly once: the
 * reply, and the command's effect if any, commit together with the claim, then
 * the reply is delivered through the fenced path. A failure before the commit
 * wrote nothing (Telegram redelivers and the command runs then); a failure after
 * it leaves the stored reply for the redelivery to send.
 */
export async function answerOnce(
  deps: BotDeps,
  ctx: BotContext,
  reply: string | (() => string),
  effect?: Effect,
): Promise<boolean> {
  const result = await deps.state.claims.openAnswered(
    {
      updateId: ctx.update.update_id,
      chatId: ctx.chat!.id,
      threadId: threadOf(ctx.message),
      replyTo: ctx.message?.message_id,
      reply,
    },
    ctx.op,
    effect,
  );
  if ("seen" in result) {
    await followClaim(deps, ctx, result.seen);
    return false;
  }
  await deliverOwned(deps, ctx, result.opened, { text: result.reply, sent: 0 });
  return true;
}
