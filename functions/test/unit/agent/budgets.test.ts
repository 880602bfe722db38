import { Timestamp } from "@google-cloud/firestore";
import { describe, expect, it } from "vitest";
import { type Budgets, budgetsOf, overBudget, overBudgetText } from "../../../src/agent/budgets.js";
import { type Session, SessionSchema } from "../../../src/state/schemas.js";
import { chargeFor } from "../../../src/state/spend.js";
import { ManualClock } from "../../support/clock.js";

const USER = 7;
const ADMIN = 8;
const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const budgets = (dailyUsd: number, monthlyUsd: number): Budgets => ({
  dailyUsd,
  monthlyUsd,
  admins: new Set([ADMIN]),
});
const spend = (s: Session, usd: number, when: number) =>
  chargeFor(s.userId, { costUsd: usd }, when, s).apply(s, Timestamp.fromMillis(when));
const fresh = (userId = USER) => SessionSchema.parse({ userId, updatedAt: Timestamp.fromMillis(0) });

describe("budgets", () => {
  it("no limits (the default), or no spend yet: never over", () => {
    expect(
      budgetsOf({ USER_DAILY_BUDGET_USD: 0, USER_MONTHLY_BUDGET_USD: 0, ADMIN_USER_IDS: [] }),
    ).toMatchObject({
      dailyUsd: 0,
      monthlyUsd: 0,
    });
    const now = at("2026-12-02T12:00:00Z");
    expect(overBudget(USER, spend(fresh(), 1000, now), budgets(0, 0), now)).toBeNull();
    expect(overBudget(USER, null, budgets(0.01, 0.01), now)).toBeNull();
  });

  it("over the daily budget until midnight UTC, then under again", () => {
    const clock = new ManualClock(at("2026-12-02T22:00:00Z"));
    const b = budgets(1, 0);
    let s = spend(fresh(), 0.6, clock.now());
    expect(overBudget(USER, s, b, clock.now())).toBeNull();
    s = spend(s, 0.4, clock.now()); // exactly at the limit: over
    const over = overBudget(USER, s, b, clock.now());
    expect(over).toEqual({
      period: "day",
      spentUsd: 1,
      limitUsd: 1,
      resetsAt: at("2026-12-03T00:00:00Z"),
      at: clock.now(),
    });
    expect(overBudgetText("en", over!, true)).toBe(
      "You've reached your daily budget ($1.00 of $1.00), so I can't answer you until it resets at midnight UTC, in 2 hours. /stats shows your usage.",
    );
    // In a group, other members read it too: no amounts.
    expect(overBudgetText("en", over!, false)).toBe(
      "You've reached your daily budget, so I can't answer you until it resets at midnight UTC, in 2 hours.",
    );
    // In the user's language.
    expect(overBudgetText("es", over!, true)).toMatch(
      /^Has alcanzado tu presupuesto diario \(1,00\sUS\$ de 1,00\sUS\$\)/,
    );
    clock.advance(2 * HOUR - 1);
    expect(overBudget(USER, s, b, clock.now())).not.toBeNull();
    clock.advance(1); // 00:00:00.000 UTC
    expect(overBudget(USER, s, b, clock.now())).toBeNull();
  });

  it("over the monthly budget until the first of the next month; the month is reported over the day", () => {
    const clock = new ManualClock(at("2026-12-31T23:30:00Z"));
    const b = budgets(0.5, 2);
    let s = fresh();
    s = spend(s, 1.6, at("2026-12-10T10:00:00Z"));
    s = spend(s, 0.5, clock.now());
    const over = overBudget(USER, s, b, clock.now());
    expect(over).toMatchObject({
      period: "month",
      spentUsd: 2.1,
      limitUsd: 2,
      resetsAt: at("2027-01-01T00:00:00Z"),
    });
    expect(overBudgetText("en", over!, true)).toContain("monthly budget ($2.10 of $2.00)");
    expect(overBudgetText("en", over!, true)).toContain("on 2027-01-01 at 00:00 UTC, in 30 minutes");
    clock.advance(30 * 60_000);
    expect(overBudget(USER, s, b, clock.now())).toBeNull();
  });

  it("the daily budget is reported when only it is reached; the reset is a whole day away at most", () => {
    const now = at("2026-02-28T00:00:00Z");
    const s = spend(fresh(), 0.5, now);
    const over = overBudget(USER, s, budgets(0.5, 100), now);
    expect(over).toMatchObject({ period: "day", resetsAt: at("2026-03-01T00:00:00Z") });
    expect(overBudgetText("en", over!, true)).toContain("in 24 hours.");
  });

  it("admins are exempt", () => {
    const now = at("2026-12-02T12:00:00Z");
    expect(overBudget(ADMIN, spend(fresh(ADMIN), 50, now), budgets(1, 10), now)).toBeNull();
  });
});
