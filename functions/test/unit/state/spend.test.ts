import { FieldValue, Timestamp } from "@google-cloud/firestore";
import { describe, expect, it } from "vitest";
import { SessionSchema } from "../../../src/state/schemas.js";
import { chargeFor, dayOf, monthOf, spentAt, staleKeys } from "../../../src/state/spend.js";
import { ManualClock } from "../../support/clock.js";

const session = (spend: { day?: Record<string, number>; month?: Record<string, number> } = {}) =>
  SessionSchema.parse({ userId: 7, updatedAt: Timestamp.fromMillis(0), spendMicroUsd: spend });
const at = (iso: string) => Date.parse(iso);
const MINUTE = 60_000;

describe("spend periods", () => {
  it("a UTC day runs from midnight to midnight, whatever the local zone", () => {
    expect(dayOf(at("2026-12-31T23:59:59.999Z"))).toEqual({
      key: "2026-12-31",
      startsAt: at("2026-12-31T00:00:00Z"),
      endsAt: at("2027-01-01T00:00:00Z"),
    });
    expect(dayOf(at("2027-01-01T00:00:00Z")).key).toBe("2027-01-01");
  });

  it("a month is a calendar month in UTC, of its own length (leap years included)", () => {
    expect(monthOf(at("2028-02-29T12:00:00Z"))).toEqual({
      key: "2028-02",
      startsAt: at("2028-02-01T00:00:00Z"),
      endsAt: at("2028-03-01T00:00:00Z"),
    });
    expect(monthOf(at("2026-12-15T00:00:00Z")).endsAt).toBe(at("2027-01-01T00:00:00Z"));
  });

  it("stale keys are those before the previous period (ISO keys sort by time)", () => {
    const previous = dayOf(at("2026-12-01T10:00:00Z"));
    expect(staleKeys(["2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"], previous)).toEqual([
      "2026-11-29",
      "2026-11-30",
    ]);
  });
});

describe("charges", () => {
  it("a charge adds the turn's usage and its cost in micro-USD to today's and this month's keys", () => {
    const c = chargeFor(
      7,
      { inputTokens: 100, costUsd: 0.012345, cacheSavedUsd: 0.002 },
      at("2026-12-02T08:00:00Z"),
      null,
    );
    const fields = c.fields as {
      usage: Record<string, unknown>;
      spendMicroUsd: Record<string, Record<string, unknown>>;
    };
    expect(fields.usage.messages).toEqual(FieldValue.increment(1));
    expect(fields.usage.inputTokens).toEqual(FieldValue.increment(100));
    expect(fields.usage.cacheSavedUsd).toEqual(FieldValue.increment(0.002));
    expect(fields.spendMicroUsd).toEqual({
      day: { "2026-12-02": FieldValue.increment(12_345) },
      month: { "2026-12": FieldValue.increment(12_345) },
    });
    const applied = c.apply(session(), Timestamp.fromMillis(1));
    expect(applied.usage).toMatchObject({
      messages: 1,
      inputTokens: 100,
      costUsd: 0.012345,
      cacheSavedUsd: 0.002,
    });
    expect(applied.spendMicroUsd).toEqual({ day: { "2026-12-02": 12_345 }, month: { "2026-12": 12_345 } });
  });

  it("prunes only keys older than the previous period, so a late increment to yesterday survives", () => {
    const known = session({
      day: { "2026-11-20": 1, "2026-11-30": 2, "2026-12-01": 3, "2026-12-02": 4 },
      month: { "2026-10": 5, "2026-11": 6, "2026-12": 7 },
    });
    const c = chargeFor(7, { costUsd: 0.00001 }, at("2026-12-02T00:00:01Z"), known);
    const fields = c.fields as { spendMicroUsd: Record<string, Record<string, unknown>> };
    expect(fields.spendMicroUsd.day).toEqual({
      "2026-12-02": FieldValue.increment(10),
      "2026-11-20": FieldValue.delete(),
      "2026-11-30": FieldValue.delete(),
    });
    expect(fields.spendMicroUsd.month).toEqual({
      "2026-12": FieldValue.increment(10),
      "2026-10": FieldValue.delete(),
    });
    // Applied to a copy that meanwhile learned of another key: only what the commit did changes.
    const copy = session({ ...known.spendMicroUsd, day: { ...known.spendMicroUsd.day, "2026-11-25": 9 } });
    expect(c.apply(copy, Timestamp.fromMillis(1)).spendMicroUsd.day).toEqual({
      "2026-11-25": 9,
      "2026-12-01": 3,
      "2026-12-02": 14,
    });
  });

  it("spend resets at midnight UTC and on the first of the month, with no write", () => {
    const clock = new ManualClock(at("2026-12-31T23:50:00Z"));
    let s = session();
    for (let i = 0; i < 3; i++)
      s = chargeFor(7, { costUsd: 0.5 }, clock.now(), s).apply(s, Timestamp.fromMillis(1));
    expect(spentAt(s, clock.now())).toMatchObject({ dayUsd: 1.5, monthUsd: 1.5 });
    clock.advance(10 * MINUTE); // 2027-01-01T00:00:00Z: a new day and a new month
    expect(spentAt(s, clock.now())).toMatchObject({ dayUsd: 0, monthUsd: 0 });
    s = chargeFor(7, { costUsd: 0.25 }, clock.now(), s).apply(s, Timestamp.fromMillis(2));
    expect(spentAt(s, clock.now())).toMatchObject({ dayUsd: 0.25, monthUsd: 0.25 });
    clock.advance(24 * 60 * MINUTE); // the next day, same month
    expect(spentAt(s, clock.now())).toMatchObject({ dayUsd: 0, monthUsd: 0.25 });
  });

  it("micro-USD integers add up exactly in any order (unlike float dollars)", () => {
    const costs = [0.000123, 0.1, 0.2, 0.000007, 0.3];
    let a = session();
    let b = session();
    const t = at("2026-12-02T08:00:00Z");
    for (const c of costs) a = chargeFor(7, { costUsd: c }, t, a).apply(a, Timestamp.fromMillis(1));
    for (const c of [...costs].reverse())
      b = chargeFor(7, { costUsd: c }, t, b).apply(b, Timestamp.fromMillis(1));
    expect(a.spendMicroUsd).toEqual(b.spendMicroUsd);
    expect(a.spendMicroUsd.day["2026-12-02"]).toBe(600_130);
  });
});
