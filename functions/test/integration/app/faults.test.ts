import { describe, expect, it } from "vitest";
import { startFakeTelegram } from "../../../src/devtools/fake-telegram.js";
import { firestoreAt, inProcessApp, randomPortFakes, request } from "../../support/app.js";
import { storedConversation, textUpdate } from "../../support/e2e.js";
import { useFakes } from "../../support/fakes.js";
import { emulatorClient, uid, uniquePrefix } from "../../support/firestore.js";
import { startTcpProxy } from "../../support/tcp-proxy.js";

const { telegram, anthropic } = useFakes(randomPortFakes);

const [host, port] = (process.env.FIRESTORE_EMULATOR_HOST ?? "127.0.0.1:8080").split(":");

describe("faults, in process (real Firestore emulator, real SDK clients, loopback fakes)", () => {
  it("Firestore unavailable: 503, nothing half-written; the redelivery is answered exactly once", async () => {
    const prefix = uniquePrefix();
    // An instance whose Firestore endpoint refuses connections (port 1 on loopback).
    const down = await inProcessApp(
      { telegram, anthropic },
      { db: firestoreAt("127.0.0.1:1"), prefix, tuning: { deadlineMs: { read: 700, commit: 1_500 } } },
    );
    const chat = uid();
    const update = textUpdate(chat, "while storage is down");
    const first = await down.webhook(request(update));
    expect(first.status).toBe(503);
    expect(anthropic.requests).toHaveLength(0);
    expect(telegram.calls.filter((c) => c.method === "sendMessage")).toHaveLength(0);
    const db = emulatorClient();
    expect((await db.collection(`${prefix}updates`).doc(String(update.update_id)).get()).exists).toBe(false);
    expect((await db.collection(`${prefix}conversations`).doc(String(chat)).get()).exists).toBe(false);
    expect(down.lines.some((l) => l.severity === "WARNING" && l.kind === "unavailable")).toBe(true);

    // Telegram redelivers; Firestore is reachable again (here: from the next instance).
    const up = await inProcessApp({ telegram, anthropic }, { prefix });
    expect((await up.webhook(request(update))).status).toBe(200);
    expect((await up.webhook(request(update))).status).toBe(200); // and a duplicate of it
    expect(anthropic.requestsContaining("while storage is down")).toHaveLength(1);
    expect(telegram.messagesTo(chat)).toHaveLength(1);
    await Promise.all([down.shutdown().catch(() => {}), up.shutdown()]);
  });

  it("dies before persisting (model answered): redelivery after the lease completes the turn once", async () => {
    const prefix = uniquePrefix();
    const chat = uid();
    const update = textUpdate(chat, "survive a crash [[slow:500]]");
    // The doomed instance has its own network: cutting it is the process dying.
    const proxy = await startTcpProxy({ host: host!, port: Number(port) });
    const deadTelegram = await startFakeTelegram();
    const doomed = await inProcessApp(
      { telegram: deadTelegram, anthropic },
      {
        prefix,
        db: firestoreAt(proxy.address),
        tuning: { leaseMs: 300, deadlineMs: { read: 500, commit: 500 } },
      },
    );
    // Never awaited: a dead process answers nobody (it goes on retrying its dead network).
    void doomed.webhook(request(update)).catch(() => {});
    await telegram.waitFor(() => anthropic.requestsContaining("survive a crash").length === 1);
    await Promise.all([proxy.down(), deadTelegram.close()]); // dies while the model answers
    await new Promise((r) => setTimeout(r, 400)); // lease (300 ms) has expired
    const survivor = await inProcessApp({ telegram, anthropic }, { prefix });
    expect((await survivor.webhook(request(update))).status).toBe(200);
    // Nothing was persisted before the death, so the model is called again (at-least-once
    // model call in this window); the user gets exactly one reply and one stored turn.
    expect(anthropic.requestsContaining("survive a crash")).toHaveLength(2);
    expect(telegram.messagesTo(chat)).toHaveLength(1);
    const conv = await storedConversation(chat, prefix);
    expect(conv!.turns).toHaveLength(1);
    expect(conv!.turns[0]!.status).toBe("done");
    expect((await survivor.webhook(request(update))).status).toBe(200);
    expect(telegram.messagesTo(chat)).toHaveLength(1);
  });

  it("dies after persisting, before replying: redelivery re-sends the stored reply, no second model call", async () => {
    const prefix = uniquePrefix();
    const chat = uid();
    const update = textUpdate(chat, "persisted then crashed");
    const doomed = await inProcessApp({ telegram, anthropic }, { prefix, tuning: { leaseMs: 300 } });
    // The doomed instance's reply never reaches Telegram, as if the process died there.
    const remove = telegram.failWhen((m, p) => m === "sendMessage" && p.chat_id === chat, {
      error_code: 400,
      description: "Bad Request: chat not found",
    });
    const first = await doomed.webhook(request(update));
    expect(first.status).toBe(500);
    remove();
    expect(anthropic.requestsContaining("persisted then crashed")).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 350));
    const survivor = await inProcessApp({ telegram, anthropic }, { prefix });
    expect((await survivor.webhook(request(update))).status).toBe(200);
    expect(anthropic.requestsContaining("persisted then crashed")).toHaveLength(1);
    expect(telegram.messagesTo(chat).map((m) => m.text)).toEqual(["echo: persisted then crashed"]);
    expect((await survivor.webhook(request(update))).status).toBe(200);
    expect(telegram.messagesTo(chat)).toHaveLength(1);
  });
});
