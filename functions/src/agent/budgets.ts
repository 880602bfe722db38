import { t } from "../i18n/catalogue.js";
import type { Locale } from "../i18n/locale.js";
import type { Session } from "../state/schemas.js";
import { spentAt } from "../state/spend.js";

/**
 * Per-user model budgets: a user whose spend in the current UTC day or calendar month
 * (state/spend.ts) has reached a limit gets no model turn until it resets. Admins are
 * exempt. A limit of 0 means none.
 *
 * The check runs before the claim, on the session the turn loads anyway (L1 when warm:
 * no extra read), so a turn that starts under budget always finishes, and the cap may
 * be overshot by the turns already running when it is reached:
 *  - on one instance, by the turns in flight then (the per-chat queue runs one per chat,
 *    so one turn for a user in a private chat): L1 is advanced by each turn's own spend
 *    in the commit that stores its reply;
 *  - across instances, also by what other instances charged while this instance's copy of
 *    the session was not re-read: at most CACHE_TTL_SECONDS after its last read (advancing
 *    the copy keeps its TTL), so by at most that long of the user's turns elsewhere.
 */
export interface Budgets {
  dailyUsd: number;
  monthlyUsd: number;
  /** Users exempt from budgets (ADMIN_USER_IDS). */
  admins: ReadonlySet<number>;
}

export function budgetsOf(config: {
  USER_DAILY_BUDGET_USD: number;
  USER_MONTHLY_BUDGET_USD: number;
  ADMIN_USER_IDS: readonly number[];
}): Budgets {
  return {
    dailyUsd: config.USER_DAILY_BUDGET_USD,
    monthlyUsd: config.USER_MONTHLY_BUDGET_USD,
    admins: new Set(config.ADMIN_USER_IDS),
  };
}

/** A user over a budget: which one, how far, and when it resets (epoch ms). */
export interface OverBudget {
  period: "day" | "month";
  spentUsd: number;
  limitUsd: number;
  resetsAt: number;
  /** When this was decided (epoch ms). */
  at: number;
}

/**
 * Whether `userId` is over a budget at `at`, given their session (null: never charged).
 * Spent at or above a limit is over. Over both, the month is reported: it resets last.
 */
export function overBudget(
  userId: number,
  session: Readonly<Session> | null,
  budgets: Budgets,
  at: number,
): OverBudget | null {
  if (budgets.admins.has(userId) || (budgets.dailyUsd <= 0 && budgets.monthlyUsd <= 0)) return null;
  const spent = spentAt(session, at);
  const over = (period: OverBudget["period"], spentUsd: number, limitUsd: number, resetsAt: number) =>
    limitUsd > 0 && spentUsd >= limitUsd ? { period, spentUsd, limitUsd, resetsAt, at } : null;
  return (
    over("month", spent.monthUsd, budgets.monthlyUsd, spent.month.endsAt) ??
    over("day", spent.dayUsd, budgets.dailyUsd, spent.day.endsAt)
  );
}

/** How long until `ms` from now, in the user's language ("in 12 hours", "через 30 минут"). */
export function waitText(locale: Locale, ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "always" });
  if (minutes >= 2 * 1440) return rtf.format(Math.round(minutes / 1440), "day");
  if (minutes >= 120) return rtf.format(Math.round(minutes / 60), "hour");
  return rtf.format(minutes, "minute");
}

/** The refusal for a user over a budget; a group hears no amounts (a member's spend is theirs). */
export function overBudgetText(locale: Locale, o: OverBudget, privateChat: boolean): string {
  return t(locale, "over-budget", {
    period: o.period,
    amounts: privateChat ? "shown" : "hidden",
    spent: o.spentUsd,
    limit: o.limitUsd,
    resetDate: new Date(o.resetsAt).toISOString().slice(0, 10),
    wait: waitText(locale, o.resetsAt - o.at),
  });
}
