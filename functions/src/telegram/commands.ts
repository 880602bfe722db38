import { Composer } from "grammy";
import type { BotCommand } from "grammy/types";
import { budgetsOf } from "../agent/budgets.js";
import { t } from "../i18n/catalogue.js";
import { type Locale, localeOf } from "../i18n/locale.js";
import type { MessageVars } from "../i18n/messages.js";
import { resetHistory, undoLast } from "../state/conversations.js";
import type { Session } from "../state/schemas.js";
import { activeSkillId } from "../state/sessions.js";
import { spentAt } from "../state/spend.js";
import { answerOnce } from "./answer.js";
import type { BotContext, BotDeps } from "./context.js";
import { refuse } from "./refuse.js";
import { whereOf } from "./topic.js";

/** The commands, in menu order; each one's description is `command-<name>` in the catalogue. */
export const COMMANDS = ["start", "help", "stop", "reset", "undo", "skill", "stats"] as const;

export const COMMAND_NAMES: ReadonlySet<string> = new Set(COMMANDS);

/** The menu Telegram shows for "/" in `locale` (scripts/set-webhook.mjs registers one per language). */
export function commandMenu(locale: Locale): BotCommand[] {
  return COMMANDS.map((command) => ({ command, description: t(locale, `command-${command}`) }));
}

/** What /stats shows: all-time usage, and spend in the current UTC day and month against the budgets. */
export function statsFigures(
  session: Readonly<Session> | null,
  userId: number,
  deps: BotDeps,
): MessageVars<"stats"> {
  const u = session?.usage;
  const budgets = budgetsOf(deps.config);
  const spent = spentAt(session, deps.clock.now());
  const admin = budgets.admins.has(userId);
  const limit = (usd: number) => (admin ? "admin" : usd > 0 ? "some" : "none");
  return {
    messages: u?.messages ?? 0,
    input: u?.inputTokens ?? 0,
    output: u?.outputTokens ?? 0,
    cached: u?.cacheReadTokens ?? 0,
    searches: u?.webSearchRequests ?? 0,
    cost: u?.costUsd ?? 0,
    saved: u?.cacheSavedUsd ?? 0,
    today: spent.dayUsd,
    daily: budgets.dailyUsd,
    dailyLimit: limit(budgets.dailyUsd),
    month: spent.monthUsd,
    monthly: budgets.monthlyUsd,
    monthlyLimit: limit(budgets.monthlyUsd),
  };
}

/** The personas, one line each, the active one marked (Markdown for the `skills` placeables). */
async function skillList(deps: BotDeps, ctx: BotContext, active?: string | null): Promise<string> {
  const mark = ` ${t(localeOf(ctx), "skill-active")}`;
  return (await deps.state.skills.list(ctx.op))
    .map((s) => `• ${s.id}${s.id === active ? mark : ""} – ${s.description || s.name}`)
    .join("\n");
}

/** /help, also the answer to a command the bot does not have. */
export async function answerHelp(deps: BotDeps, ctx: BotContext): Promise<void> {
  const session = await deps.state.sessions.load(ctx.actor.id, ctx.op);
  const skills = await skillList(deps, ctx, activeSkillId(session));
  await answerOnce(deps, ctx, t(localeOf(ctx), "help", { skills }));
}

/**
 * The slash commands, each exactly once: whatever a command reads comes first
 * (a failure there writes nothing and Telegram redelivers); its effect (reset,
 * undo, skill switch) and its answer then commit together with the update's
 * claim, so a redelivery after any failure either completes it or re-sends its
 * stored answer, never runs it twice.
 */
export function commands(deps: BotDeps): Composer<BotContext> {
  const { state } = deps;
  const c = new Composer<BotContext>();
  c.command("start", (ctx) =>
    answerOnce(deps, ctx, t(localeOf(ctx), "welcome", { name: ctx.from?.first_name ?? ctx.actor.name })),
  );

  c.command("help", (ctx) => answerHelp(deps, ctx));

  // Ends what is being generated in this conversation, on this instance at once and on any
  // other through stops/{conversation}; the stopped answer is the reply. Runs outside the
  // chat's queue (webhook.ts), so it never waits behind the turn it stops.
  c.command("stop", async (ctx) => {
    const where = whereOf(ctx.message!);
    const upTo = ctx.update.update_id;
    const here = deps.generations.stop(where, upTo);
    const conversation = here > 0 ? null : (await state.conversations.read(where, ctx.op)).value;
    const generating =
      here > 0 || conversation?.turns.some((t) => t.status === "pending" && t.updateId < upTo);
    await answerOnce(
      deps,
      ctx,
      generating ? "" : t(localeOf(ctx), "stop-nothing"),
      state.stops.effect(where, upTo),
    );
  });

  // History edits are the group's: only its admins may make them.
  const edit =
    (
      change: typeof resetHistory,
      done: "reset-done" | "undo-done",
      nothing: "reset-nothing" | "undo-nothing",
    ) =>
    async (ctx: BotContext) => {
      const locale = localeOf(ctx);
      if (!(await deps.admins.isAdmin(ctx.api, ctx.chat!, ctx.actor, ctx.op))) {
        await refuse(deps, ctx, "not_admin", t(locale, "not-admin"));
        return;
      }
      const effect = state.conversations.edit(whereOf(ctx.message!), change);
      await answerOnce(deps, ctx, () => t(locale, effect.before().turns.length > 0 ? done : nothing), effect);
    };
  c.command("reset", edit(resetHistory, "reset-done", "reset-nothing"));
  c.command("undo", edit(undoLast, "undo-done", "undo-nothing"));

  c.command("skill", async (ctx) => {
    const locale = localeOf(ctx);
    const wanted = ctx.match.trim().toLowerCase();
    const session = await state.sessions.load(ctx.actor.id, ctx.op);
    const active = activeSkillId(session);
    const skills = await state.skills.list(ctx.op);
    if (!wanted) {
      const current = active ?? (await state.skills.resolve(null, ctx.op)).id;
      await answerOnce(deps, ctx, t(locale, "skill-list", { skills: await skillList(deps, ctx, current) }));
      return;
    }
    const skill = skills.find((s) => s.id.toLowerCase() === wanted);
    if (!skill) {
      const list = await skillList(deps, ctx, active);
      await answerOnce(deps, ctx, t(locale, "skill-unknown", { name: wanted, skills: list }));
      return;
    }
    const effect = state.sessions.change(ctx.actor.id, () => ({ activeSkill: skill.id }));
    if (await answerOnce(deps, ctx, t(locale, "skill-switched", { name: skill.name }), effect)) {
      ctx.log.info({ skill: skill.id }, "skill switched");
    }
  });

  c.command("stats", async (ctx) => {
    // A member's usage and spend are theirs alone: a group only gets a pointer.
    if (ctx.chat.type !== "private") {
      await answerOnce(deps, ctx, t(localeOf(ctx), "stats-in-private", { bot: ctx.me.username }));
      return;
    }
    // A fresh read: counters are server-side increments, possibly from other instances.
    const session = (await state.sessions.read(ctx.actor.id, ctx.op)).value;
    await answerOnce(deps, ctx, t(localeOf(ctx), "stats", statsFigures(session, ctx.actor.id, deps)));
  });

  return c;
}
