import { FieldValue, type Timestamp } from "@google-cloud/firestore";
import type { Session, Spend, Usage } from "./schemas.js";

/**
 * What a turn costs its user, on `sessions/{userId}` (per user, across chats): all-time
 * usage counters, and spend per UTC day and calendar month (UTC) for the budgets
 * (agent/budgets.ts).
 *
 * Spend lives under keys that name their period, in integer micro-USD (so concurrent
 * increments add up exactly, in any order):
 *
 *     spendMicroUsd.day.<YYYY-MM-DD>    spendMicroUsd.month.<YYYY-MM>
 *
 * Every write is a server-side increment, in the commit that stores the reply
 * (TurnStore.answer), so turns of one user on any number of instances all count and
 * nothing is read to write. A period resets by itself: a new day is a new key, and the
 * check reads only the current keys. Nobody resets a counter, so no read-modify-write
 * can race.
 *
 * Old keys are pruned by the same commits, with field deletes, and pruning never loses a
 * concurrent increment: a commit stamped with period P deletes only keys older than P's
 * previous period. A writer still incrementing such a key would have to have stamped its
 * commit a whole period (a day at least) earlier than ours on the same clock; turns last
 * minutes and instance clocks differ by far less. So a late commit of a turn that crossed
 * midnight, or of an instance whose clock is a few seconds behind, lands on yesterday's
 * key, which nobody deletes yet. Keys are deleted as the writer's copy of the session
 * (L1) knows them; one it does not know yet is deleted by a later commit that does.
 */

export const MICROS_PER_USD = 1_000_000;
const DAY_MS = 86_400_000;

/** A UTC day or calendar month: its key and when it starts and ends (epoch ms, end exclusive). */
export interface Period {
  key: string;
  startsAt: number;
  endsAt: number;
}

/** The UTC day containing `ms`, keyed `YYYY-MM-DD`. */
export function dayOf(ms: number): Period {
  const d = new Date(ms);
  const startsAt = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return { key: new Date(startsAt).toISOString().slice(0, 10), startsAt, endsAt: startsAt + DAY_MS };
}

/** The calendar month (UTC) containing `ms`, keyed `YYYY-MM`. */
export function monthOf(ms: number): Period {
  const d = new Date(ms);
  const startsAt = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const endsAt = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { key: new Date(startsAt).toISOString().slice(0, 7), startsAt, endsAt };
}

export const usdToMicros = (usd: number): number => Math.round(usd * MICROS_PER_USD);
export const microsToUsd = (micros: number): number => micros / MICROS_PER_USD;

/** What a user has spent in the periods containing `at`. */
export interface Spent {
  day: Period;
  month: Period;
  dayUsd: number;
  monthUsd: number;
}

export function spentAt(session: Readonly<Session> | null, at: number): Spent {
  const day = dayOf(at);
  const month = monthOf(at);
  const spend = session?.spendMicroUsd;
  return {
    day,
    month,
    dayUsd: microsToUsd(spend?.day[day.key] ?? 0),
    monthUsd: microsToUsd(spend?.month[month.key] ?? 0),
  };
}

/** Keys of periods before `previous` (ISO keys sort chronologically): safe to delete. */
export function staleKeys(keys: Iterable<string>, previous: Period): string[] {
  return [...keys].filter((k) => k < previous.key);
}

/** One turn's charge to a user's session: the increments of the answer commit, and their effect on a copy. */
export interface Charge {
  /** Merge data for `sessions/{userId}`: server-side increments, and deletes of stale spend keys. */
  readonly fields: Record<string, unknown>;
  /** `session` (as a cache holds it) advanced by exactly what `fields` applied, at `writeTime`. */
  apply(session: Readonly<Session>, writeTime: Timestamp): Session;
}

const USAGE_FIELDS = [
  "inputTokens",
  "outputTokens",
  "cacheReadTokens",
  "cacheWriteTokens",
  "webSearchRequests",
  "costUsd",
  "cacheSavedUsd",
] as const satisfies readonly (keyof Usage)[];

/**
 * The charge of one turn stamped at `at` (the answer commit's time on our clock).
 * `known` is the session as this instance last saw it (for pruning; may be stale or null).
 */
export function chargeFor(
  userId: number,
  usage: Partial<Usage> | undefined,
  at: number,
  known: Readonly<Session> | null,
): Charge {
  const micros = usdToMicros(usage?.costUsd ?? 0);
  const day = dayOf(at);
  const month = monthOf(at);
  const staleDays = staleKeys(Object.keys(known?.spendMicroUsd.day ?? {}), dayOf(day.startsAt - 1));
  const staleMonths = staleKeys(Object.keys(known?.spendMicroUsd.month ?? {}), monthOf(month.startsAt - 1));

  const usageFields: Record<string, unknown> = { messages: FieldValue.increment(1) };
  for (const f of USAGE_FIELDS) usageFields[f] = FieldValue.increment(usage?.[f] ?? 0);
  const spendMap = (period: Period, stale: string[]) => ({
    [period.key]: FieldValue.increment(micros),
    ...Object.fromEntries(stale.map((k) => [k, FieldValue.delete()])),
  });
  const fields = {
    userId,
    blocked: false, // a user who writes to the bot has not blocked it
    updatedAt: FieldValue.serverTimestamp(),
    usage: usageFields,
    spendMicroUsd: { day: spendMap(day, staleDays), month: spendMap(month, staleMonths) },
  };

  const advance = (map: Readonly<Record<string, number>>, period: Period, stale: string[]) => {
    const next = { ...map, [period.key]: (map[period.key] ?? 0) + micros };
    for (const k of stale) delete next[k];
    return next;
  };
  return {
    fields,
    apply(session, writeTime) {
      const next: Usage = { ...session.usage, messages: session.usage.messages + 1 };
      for (const f of USAGE_FIELDS) next[f] = session.usage[f] + (usage?.[f] ?? 0);
      const spend: Spend = {
        day: advance(session.spendMicroUsd.day, day, staleDays),
        month: advance(session.spendMicroUsd.month, month, staleMonths),
      };
      return { ...session, userId, blocked: false, updatedAt: writeTime, usage: next, spendMicroUsd: spend };
    },
  };
}
