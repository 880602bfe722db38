import { describe, expect, it } from "vitest";
import { type Session, SessionSchema } from "../../../src/state/schemas.js";
import { usdToMicros } from "../../../src/state/spend.js";
import { inProcessApp, randomPortFakes, request } from "../../support/app.js";
import { ManualClock } from "../../support/clock.js";
import { textUpdate } from "../../support/e2e.js";
import { useFakes } from "../../support/fakes.js";
import { emulatorClient, uid, uniquePrefix } from "../../support/firestore.js";

const { telegram, anthropic } = useFakes(randomPortFakes);

// A 429 asking for longer than auto-retry waits: Telegram did not take the message.
const FLOOD = {
  error_code: 429,
  description: "Too Many Requests: retry after 120",
  parameters: { retry_after: 120 },
};

// The fake reports tokens (characters / 4): at Sonnet 4.6 prices a short turn costs ~$0.0002,
// so the first turn crosses this budget.
const TINY = "0.000001";

async function storedSession(prefix: string, userId: number) {
  const snap = await emulatorClient().collection(`${prefix}sessions`).doc(String(userId)).get();
  return SessionSchema.parse(snap.data());
}

type App = Awaited<ReturnType<typeof inProcessApp>>;
const turnLines = (app: App) => app.lines.filter((l) => l.message === "turn");
const costOf = (line: Record<string, unknown>) => (line.tokens as { costUsd: number }).costUsd;

describe("per-user budgets (in process)", () => {
  it("over budget: a refusal with the reset time, no model call; the turn that crossed the cap finished", async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 2, 12, 0, 0));
    const app = await inProcessApp(
      { telegram, anthropic },
      { clock, config: { USER_DAILY_BUDGET_USD: TINY } },
    );
    const user = uid();
    await app.webhook(request(textUpdate(user, "under budget")));
    expect(telegram.messagesTo(user).map((m) => m.text)).toEqual(["echo: under budget"]);

    const over = textUpdate(user, "over budget now");
    expect((await app.webhook(request(over))).status).toBe(200);
    expect(anthropic.requestsContaining("over budget now")).toHaveLength(0);
    const refusal = String(telegram.messagesTo(user).at(-1)!.text);
    expect(refusal).toMatch(/^You've reached your daily budget \(\$0\.\d{4} of \$0\.0000\)/);
    expect(refusal).toContain("at midnight UTC, in 12 h");
    // Exactly once: a redelivery is a duplicate; another message in the window is not answered.
    expect((await app.webhook(request(over))).status).toBe(200);
    await app.webhook(request(textUpdate(user, "still there?")));
    expect(telegram.messagesTo(user)).toHaveLength(2);
    expect(app.metricsRegistry.get("updates_duplicate")).toBe(1);
    expect(app.metricsRegistry.get("refusals_suppressed")).toBe(1);
    expect(anthropic.requests).toHaveLength(1);
    expect(app.lines.find((l) => l.message === "refused")).toMatchObject({ refusal: "over_budget" });

    clock.advance(12 * 3_600_000); // midnight UTC: a new day
    await app.webhook(request(textUpdate(user, "a new day")));
    expect(telegram.messagesTo(user).at(-1)!.text).toBe("echo: a new day");
  });

  it("a turn that crossed the cap and whose reply did not reach Telegram: the redelivery sends it, refusals or not", async () => {
    const clock = new ManualClock(); // never advanced: no lease runs out
    const app = await inProcessApp(
      { telegram, anthropic },
      { clock, config: { USER_DAILY_BUDGET_USD: TINY } },
    );
    const user = uid();
    const crossing = textUpdate(user, "the last one");
    telegram.failWhen((m, p) => m === "sendMessage" && p.chat_id === user, FLOOD, 1);
    expect((await app.webhook(request(crossing))).status).toBe(503); // reply stored, not delivered
    await app.webhook(request(textUpdate(user, "over now"))); // refused: the window starts
    expect((await app.webhook(request(crossing))).status).toBe(200);
    expect(telegram.messagesTo(user).map((m) => String(m.text))).toEqual([
      expect.stringMatching(/^You've reached your daily budget/),
      "echo: the last one",
    ]);
    expect(anthropic.requests).toHaveLength(1);
  });

  it("the monthly budget holds across days until the first of the month", async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 31, 20, 0, 0));
    const app = await inProcessApp(
      { telegram, anthropic },
      { clock, config: { USER_MONTHLY_BUDGET_USD: TINY } },
    );
    const user = uid();
    await app.webhook(request(textUpdate(user, "spend it")));
    await app.webhook(request(textUpdate(user, "more")));
    expect(String(telegram.messagesTo(user).at(-1)!.text)).toContain("on 2027-01-01 at 00:00 UTC, in 4 h");
    clock.advance(4 * 3_600_000);
    await app.webhook(request(textUpdate(user, "new month")));
    expect(telegram.messagesTo(user).at(-1)!.text).toBe("echo: new month");
  });

  it("in a group the refusal leaves the amounts out (a member's spend is private)", async () => {
    // A hand-driven clock: both turns fall on the same UTC day wherever the run starts.
    const app = await inProcessApp(
      { telegram, anthropic },
      { clock: new ManualClock(), config: { USER_DAILY_BUDGET_USD: TINY } },
    );
    const user = uid();
    const group = -uid();
    const say = (t: string) => textUpdate(group, `@agent_bot ${t}`, { userId: user, chatType: "group" });
    await app.webhook(request(say("spend")));
    await app.webhook(request(say("again")));
    const refusal = String(telegram.messagesTo(group).at(-1)!.text);
    expect(refusal).toMatch(/^You've reached your daily budget, so I can't answer you until it resets/);
    expect(refusal).not.toContain("$");
    expect(anthropic.requests).toHaveLength(1);
  });

  it("admins are exempt", async () => {
    const admin = uid();
    const app = await inProcessApp(
      { telegram, anthropic },
      {
        config: { USER_DAILY_BUDGET_USD: TINY, USER_MONTHLY_BUDGET_USD: TINY, ADMIN_USER_IDS: `1, ${admin}` },
      },
    );
    for (const t of ["one", "two", "three"]) await app.webhook(request(textUpdate(admin, t)));
    expect(telegram.messagesTo(admin).map((m) => m.text)).toEqual(["echo: one", "echo: two", "echo: three"]);
  });

  it("the check costs no read on a warm turn: 0 reads, 2 commits, as without budgets", async () => {
    // A hand-driven clock: the previous turn's delivery receipt rides on this turn's answer
    // commit (the 6th write) rather than in a flush of its own, however long a turn takes here.
    const app = await inProcessApp(
      { telegram, anthropic },
      { clock: new ManualClock(), config: { USER_DAILY_BUDGET_USD: "5", USER_MONTHLY_BUDGET_USD: "50" } },
    );
    const user = uid();
    await app.webhook(request(textUpdate(user, "cold")));
    await app.webhook(request(textUpdate(user, "warm")));
    await app.webhook(request(textUpdate(user, "warm again")));
    const [, ...warm] = turnLines(app);
    for (const t of warm)
      expect(t.firestore).toEqual({ reads: 0, writes: 6, commits: 2, reads_before_model: 0 });
  });

  it("concurrent turns of one user on two instances: every increment counts; each L1 sees its own spend", async () => {
    const prefix = uniquePrefix();
    const config = { RATE_LIMIT_PER_MINUTE: 100, USER_DAILY_BUDGET_USD: "100" };
    const a = await inProcessApp({ telegram, anthropic }, { prefix, config });
    const b = await inProcessApp({ telegram, anthropic }, { prefix, config });
    const user = uid();
    const group = -uid();
    const updates = Array.from({ length: 12 }, (_, i) =>
      // Half in the private chat, half in a group (mentioning the bot), all from one user.
      i % 2 === 0
        ? textUpdate(user, `private ${i}`)
        : textUpdate(group, `@agent_bot group ${i}`, { userId: user, chatType: "group" }),
    );
    const results = await Promise.all(updates.map((u, i) => (i % 4 < 2 ? a : b).webhook(request(u))));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const micros = (app: App) => turnLines(app).reduce((sum, l) => sum + usdToMicros(costOf(l)), 0);
    expect(turnLines(a).length + turnLines(b).length).toBe(12);
    const stored = await storedSession(prefix, user);
    // Summed over the day keys: the run may cross midnight UTC.
    const total = (days: Record<string, number>) => Object.values(days).reduce((x, y) => x + y, 0);
    expect(stored.usage.messages).toBe(12);
    expect(total(stored.spendMicroUsd.day)).toBe(micros(a) + micros(b));
    for (const app of [a, b]) {
      const cached = app.state.cache.peek<Session>(`sessions/${user}`);
      expect(total(cached!.value!.spendMicroUsd.day)).toBeGreaterThanOrEqual(micros(app));
    }
  });

  it("across instances L1 may lag by at most CACHE_TTL_SECONDS: then the other instance refuses too", async () => {
    const prefix = uniquePrefix();
    const clock = new ManualClock(Date.UTC(2026, 11, 2, 12, 0, 0));
    // One long answer (~1,000 output tokens, ~$0.015) crosses it; a short turn (~$0.0003) does not.
    const config = { USER_DAILY_BUDGET_USD: "0.01", CACHE_TTL_SECONDS: 300 };
    const a = await inProcessApp({ telegram, anthropic }, { prefix, clock, config });
    const b = await inProcessApp({ telegram, anthropic }, { prefix, clock, config });
    const user = uid();
    await b.webhook(request(textUpdate(user, "/stats"))); // b reads the session at t0: nothing spent
    await a.webhook(request(textUpdate(user, "a spends [[long:4000]]")));
    await a.webhook(request(textUpdate(user, "a refuses")));
    expect(anthropic.requestsContaining("a refuses")).toHaveLength(0);
    // b's copy lacks a's spend until it expires: the documented overshoot.
    clock.advance(60_000);
    await b.webhook(request(textUpdate(user, "b overshoots")));
    expect(telegram.messagesTo(user).at(-1)!.text).toBe("echo: b overshoots");
    // Advancing b's copy by b's own spend kept its TTL: 300 s after the read, b reads again.
    clock.advance(240_001);
    await b.webhook(request(textUpdate(user, "b refuses")));
    expect(anthropic.requestsContaining("b refuses")).toHaveLength(0);
    expect(String(telegram.messagesTo(user).at(-1)!.text)).toMatch(/daily budget/);
  });
});

describe("/stats (in process)", () => {
  it("shows spend today and this month against the budgets, and what prompt caching saved", async () => {
    const prefix = uniquePrefix();
    // A hand-driven clock: "today" and "this month" are the turns' day and month.
    const app = await inProcessApp(
      { telegram, anthropic },
      {
        prefix,
        clock: new ManualClock(),
        config: { USER_DAILY_BUDGET_USD: "1", USER_MONTHLY_BUDGET_USD: "20" },
      },
    );
    const user = uid();
    for (const t of ["first", "second", "third"]) await app.webhook(request(textUpdate(user, t)));
    await app.webhook(request(textUpdate(user, "/stats")));
    const stats = String(telegram.messagesTo(user).at(-1)!.text);
    const turns = turnLines(app);
    const spent = turns.reduce((s, l) => s + usdToMicros(costOf(l)), 0) / 1e6;
    const saved = turns.reduce((s, l) => s + (l.tokens as { cacheSavedUsd: number }).cacheSavedUsd, 0);
    // The fake writes the system/tools prefix on the first request and reads it after.
    expect(saved).toBeGreaterThan(0);
    const session = await storedSession(prefix, user);
    expect(session.usage.cacheSavedUsd).toBeCloseTo(saved, 9);
    expect(stats).toContain("Messages: 3");
    const usd = (n: number) => `$${n.toFixed(Math.abs(n) >= 1 ? 2 : 4)}`;
    expect(stats).toContain(`Saved by prompt caching: ${usd(session.usage.cacheSavedUsd)}`);
    expect(stats).toContain(`Spent today (UTC): ${usd(spent)} of $1.00`);
    expect(stats).toContain(`Spent this month: ${usd(spent)} of $20.00`);
    expect(stats).toContain("Web searches: 0");
  });

  it("in a group, /stats shows no one's figures: it points to the private chat", async () => {
    const app = await inProcessApp({ telegram, anthropic }, { config: { USER_DAILY_BUDGET_USD: "1" } });
    const user = uid();
    const group = -uid();
    await app.webhook(request(textUpdate(group, "@agent_bot hello", { userId: user, chatType: "group" })));
    await app.webhook(request(textUpdate(group, "/stats", { userId: user, chatType: "group" })));
    const answer = String(telegram.messagesTo(group).at(-1)!.text);
    expect(answer).toMatch(/^Usage is private: send \/stats to me in a private chat \(@agent.bot\)\.$/);
    expect(answer).not.toContain("$");
  });

  it("an admin's /stats says the budgets do not apply; no budgets: no limit", async () => {
    const admin = uid();
    const app = await inProcessApp(
      { telegram, anthropic },
      { config: { USER_DAILY_BUDGET_USD: "1", ADMIN_USER_IDS: String(admin) } },
    );
    await app.webhook(request(textUpdate(admin, "/stats")));
    expect(String(telegram.messagesTo(admin).at(-1)!.text)).toContain(
      "Spent today (UTC): $0.0000 (no limit: admin)",
    );
    const other = await inProcessApp({ telegram, anthropic });
    const user = uid();
    await other.webhook(request(textUpdate(user, "/stats")));
    expect(String(telegram.messagesTo(user).at(-1)!.text)).toContain("Spent this month: $0.0000 (no limit)");
  });
});
