import type { Filter } from "grammy";
import { t } from "../i18n/catalogue.js";
import { localeOf } from "../i18n/locale.js";
import type { BotContext, BotDeps } from "./context.js";
import { refuse } from "./refuse.js";
import { userText, userTurn } from "./turn.js";

/** A text message: refused politely when too long, else a turn. */
export function textTurn(deps: BotDeps) {
  return async (ctx: Filter<BotContext, "message:text">): Promise<void> => {
    const text = ctx.message.text;
    const max = deps.config.MAX_INPUT_CHARS;
    if (text.length > max) {
      await refuse(deps, ctx, "too_long", t(localeOf(ctx), "too-long", { max, got: text.length }));
      return;
    }
    await userTurn(deps, ctx, [{ type: "text", text: userText(ctx, text) }]);
  };
}
