import { describe, expect, it } from "vitest";
import { modelFailureText } from "../../../src/agent/model-errors.js";
import { DELIVERY_RESERVE_MS, REQUEST_BUDGET_MS } from "../../../src/timeouts.js";
import { inProcessAdmin, inProcessApp, randomPortFakes, request } from "../../support/app.js";
import { ManualClock } from "../../support/clock.js";
import { storedConversation, textUpdate } from "../../support/e2e.js";
import { useFakes } from "../../support/fakes.js";
import { uid, uniquePrefix } from "../../support/firestore.js";
import { heldModel, until } from "../../support/model.js";

const { telegram, anthropic } = useFakes(randomPortFakes);

describe("one instance (in process)", () => {
  it("a warm text turn: 0 reads before the model, 0 reads in total, 2 commits", async () => {
    // A hand-driven clock: the receipts' flush timer cannot fire between the two turns.
    const app = await inProcessApp({ telegram, anthropic }, { clock: new ManualClock() });
    const chat = uid();
    await app.webhook(request(textUpdate(chat, "cold")));
    await app.webhook(request(textUpdate(chat, "warm")));
    const turns = app.lines.filter((l) => l.message === "turn");
    expect(turns).toHaveLength(2);
    // 2 round trips: claim + message (2 documents) before the model; reply + claim + usage and
    // the first turn's delivery receipt (4) after it. Nothing but the claim precedes the model.
    expect(turns[1]!.firestore).toEqual({ reads: 0, writes: 6, commits: 2, reads_before_model: 0 });
    for (const t of turns)
      expect(t).toMatchObject({ update_id: expect.any(Number), chat_id: chat, user_id: chat });
  });

  it("same-chat burst of 20 concurrent updates: per-chat queue, 0 lost, 0 conflicts, in order", async () => {
    const app = await inProcessApp(
      { telegram, anthropic },
      { config: { HISTORY_MAX_MESSAGES: 100, RATE_LIMIT_PER_MINUTE: 100 } },
    );
    const chat = uid();
    const updates = Array.from({ length: 20 }, (_, i) => textUpdate(chat, `b${i}`));
    const results = await Promise.all(updates.map((u) => app.webhook(request(u))));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(telegram.messagesTo(chat).map((m) => m.text)).toEqual(updates.map((_, i) => `echo: b${i}`));
    expect(app.metricsRegistry.get("tx_conflicts")).toBe(0);
    const prefix = app.state.io.deps.names.conversations.replace(/conversations$/, "");
    const stored = await storedConversation(chat, prefix);
    expect(stored!.turns.map((t) => t.updateId)).toEqual(updates.map((u) => u.update_id));
  });

  it("a bug inside the turn: a plain apology to the user, the stack only in the log, the turn closed", async () => {
    const app = await inProcessApp(
      { telegram, anthropic },
      {
        createMessage: async () => {
          throw new TypeError("Cannot read properties of undefined (reading 'content')");
        },
      },
    );
    const chat = uid();
    const update = textUpdate(chat, "trigger a bug");
    expect((await app.webhook(request(update))).status).toBe(200);
    const [reply] = telegram.messagesTo(chat).map((m) => String(m.text));
    expect(reply).toBe("Something went wrong on my side. Please try again.");
    const error = app.lines.find((l) => l.message === "turn failed unexpectedly");
    expect(error).toMatchObject({ severity: "ERROR", update_id: update.update_id });
    expect(JSON.stringify(error)).toContain("TypeError");
    const prefix = app.state.io.deps.names.conversations.replace(/conversations$/, "");
    expect((await storedConversation(chat, prefix))!.turns[0]!.status).toBe("failed");
    // Closed: a redelivery is a duplicate, not a second attempt.
    expect((await app.webhook(request(update))).status).toBe(200);
    expect(telegram.messagesTo(chat)).toHaveLength(1);
  });

  it("allowlist: others get a polite refusal and no model call", async () => {
    const allowed = uid();
    const app = await inProcessApp(
      { telegram, anthropic },
      { config: { ALLOWED_USER_IDS: String(allowed) } },
    );
    const stranger = uid();
    expect((await app.webhook(request(textUpdate(stranger, "let me in")))).status).toBe(200);
    expect(anthropic.requests).toHaveLength(0);
    expect(telegram.messagesTo(stranger)[0]!.text).toMatch(/private/);
    await app.webhook(request(textUpdate(allowed, "hi")));
    expect(telegram.messagesTo(allowed)[0]!.text).toBe("echo: hi");
  });

  it("no allowlist: a WARN at cold start", async () => {
    const app = await inProcessApp({ telegram, anthropic });
    expect(
      app.lines.some((l) => l.severity === "WARNING" && String(l.message).includes("ALLOWED_USER_IDS")),
    ).toBe(true);
  });

  it("every log line a turn writes carries the update's ids, failures and retries included; no secret", async () => {
    const app = await inProcessApp({ telegram, anthropic }, { faulty: true });
    const chat = uid();
    await app.webhook(request(textUpdate(chat, "warm the chat up")));
    const u = textUpdate(chat, "trace me [[fail:529]]");
    // A Firestore retry inside the turn, a model failure, and a Bot API 429 on the reply.
    app.faulty!.inject({ kind: "fail" }, { when: (paths) => paths.some((p) => p.includes("sessions/")) });
    telegram.failNext("sendMessage", {
      error_code: 429,
      description: "Too Many Requests: retry after 99",
      parameters: { retry_after: 99 },
    });
    const from = app.lines.length;
    expect((await app.webhook(request(u))).status).toBe(503);
    const during = app.lines.slice(from);
    // Every line written while the update was handled: none may lack its ids.
    expect(during.map((l) => l.message)).toEqual(
      expect.arrayContaining([
        "firestore retry",
        "model call failed",
        expect.stringMatching(/^reply not delivered/),
      ]),
    );
    for (const l of during) {
      expect(l, String(l.message)).toMatchObject({ update_id: u.update_id, chat_id: chat, user_id: chat });
    }
    const all = JSON.stringify(app.lines);
    expect(all).not.toContain("in-process-token");
    expect(all).not.toContain("in-process-secret");
  });

  it("the request's deadline ends a model that is still working, in words, with time left to deliver", async () => {
    const clock = new ManualClock();
    const model = heldModel("too late");
    const app = await inProcessApp({ telegram, anthropic }, { clock, createMessage: model.createMessage });
    const chat = uid();
    const turn = app.webhook(request(textUpdate(chat, "take forever")));
    await until(() => model.calls.length === 1, "the turn reached the model");
    clock.advance(REQUEST_BUDGET_MS - DELIVERY_RESERVE_MS - 1);
    await Promise.resolve();
    expect(telegram.messagesTo(chat)).toHaveLength(0);
    clock.advance(1); // the model's share of the deadline is used up: it is aborted
    expect((await turn).status).toBe(200);
    expect(telegram.messagesTo(chat).map((m) => m.text)).toEqual([modelFailureText("en", "timeout")]);
    expect(app.lines.some((l) => l.message === "model call failed" && l.failure === "timeout")).toBe(true);
  });

  it("metrics: instances publish snapshots; the admin view aggregates them (JSON and Prometheus)", async () => {
    const prefix = uniquePrefix();
    const config = { ADMIN_SECRET: "admin-secret-0123456789" };
    const a = await inProcessApp(
      { telegram, anthropic },
      { prefix, config, tuning: { metricsIntervalMs: 0 } },
    );
    const b = await inProcessApp(
      { telegram, anthropic },
      { prefix, config, tuning: { metricsIntervalMs: 0 } },
    );
    await a.webhook(request(textUpdate(uid(), "count a")));
    await b.webhook(request(textUpdate(uid(), "count b")));
    await Promise.all([a.state.background.drain(), b.state.background.drain()]);
    // The admin function is a third instance that served no turn itself, and it runs
    // without the bot token or the Anthropic key (it is given only ADMIN_SECRET).
    const admin = await inProcessAdmin(prefix, config.ADMIN_SECRET);
    const denied = await admin.metrics({ method: "GET", header: () => undefined, body: undefined });
    expect(denied.status).toBe(401);
    const auth = (accept: string) => ({
      method: "GET",
      header: (n: string) =>
        ({ authorization: "Bearer admin-secret-0123456789", accept })[n.toLowerCase()] as string | undefined,
      body: undefined,
    });
    const json = JSON.parse((await admin.metrics(auth("application/json"))).body);
    expect(json.instances).toBe(2);
    expect(json.counters.turns_completed).toBe(2);
    const text = (await admin.metrics(auth("text/plain"))).body;
    expect(text.match(/^tgbot_turns_completed_total\{instance="[^"]+"\} 1$/gm)).toHaveLength(2);
    expect(text).toContain("# TYPE tgbot_turn_ms summary");
  });
});
