import { Composer } from "grammy";
import { activeSkillId } from "../state/sessions.js";
import type { BotContext, BotDeps } from "./context.js";
import { sendReply } from "./reply.js";
import { TEXT } from "./texts.js";

export const COMMANDS = [
  { command: "start", description: "Welcome" },
  { command: "help", description: "Commands and personas" },
  { command: "reset", description: "Forget this chat's history" },
  { command: "undo", description: "Remove the last exchange" },
  { command: "skill", description: "List or switch personas" },
  { command: "stats", description: "Your usage and estimated cost" },
] as const;

/**
 * The slash commands. Each claims its update first, so a redelivered command
 * runs at most once (a command lost to a crash mid-way is simply re-typed).
 */
export function commands(deps: BotDeps): Composer<BotContext> {
  const { state } = deps;
  const c = new Composer<BotContext>();
  const say = (ctx: BotContext, text: string) =>
    sendReply(ctx.api, ctx.chat!.id, text, { log: ctx.log, metrics: deps.metrics });
  const claimed = (ctx: BotContext) =>
    state.conversations.claimUpdate(ctx.update.update_id, ctx.chat?.id ?? null);
  const skillList = async (active?: string | null) =>
    (await state.skills.list())
      .map((s) => `• ${s.id}${s.id === active ? " (active)" : ""} – ${s.description || s.name}`)
      .join("\n");

  c.command("start", async (ctx) => {
    if (await claimed(ctx)) await say(ctx, TEXT.welcome(ctx.from?.first_name ?? "there"));
  });

  c.command("help", async (ctx) => {
    if (!(await claimed(ctx))) return;
    const session = await state.sessions.load(ctx.from!.id);
    await say(ctx, TEXT.help(await skillList(activeSkillId(session))));
  });

  c.command("reset", async (ctx) => {
    if (!(await claimed(ctx))) return;
    const { before } = await state.conversations.reset(ctx.chat.id);
    await say(ctx, (before.value?.turns.length ?? 0) > 0 ? TEXT.reset : TEXT.nothingToReset);
  });

  c.command("undo", async (ctx) => {
    if (!(await claimed(ctx))) return;
    const { before } = await state.conversations.undo(ctx.chat.id);
    await say(ctx, (before.value?.turns.length ?? 0) > 0 ? TEXT.undone : TEXT.nothingToUndo);
  });

  c.command("skill", async (ctx) => {
    if (!(await claimed(ctx))) return;
    const userId = ctx.from!.id;
    const wanted = ctx.match.trim().toLowerCase();
    const session = await state.sessions.load(userId);
    const active = activeSkillId(session);
    if (!wanted) {
      await say(
        ctx,
        `Personas (use /skill <name>):\n${await skillList(active ?? (await state.skills.resolve(null)).id)}`,
      );
      return;
    }
    const skill = (await state.skills.list()).find((s) => s.id.toLowerCase() === wanted);
    if (!skill) {
      await say(ctx, TEXT.unknownSkill(wanted, await skillList(active)));
      return;
    }
    await state.sessions.set(userId, { activeSkill: skill.id });
    ctx.log.info({ skill: skill.id }, "skill switched");
    await say(ctx, TEXT.skillSwitched(skill.name));
  });

  c.command("stats", async (ctx) => {
    if (!(await claimed(ctx))) return;
    // A fresh read: counters are server-side increments, possibly from other instances.
    const u = (await state.sessions.read(ctx.from!.id)).value?.usage;
    await say(
      ctx,
      TEXT.stats({
        messages: u?.messages ?? 0,
        input: u?.inputTokens ?? 0,
        output: u?.outputTokens ?? 0,
        cached: u?.cacheReadTokens ?? 0,
        cost: u?.costUsd ?? 0,
      }),
    );
  });

  return c;
}
