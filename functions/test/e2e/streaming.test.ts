import { describe, expect, it } from "vitest";
import { newChat, post, sentTexts, startFakes, textUpdate } from "../support/e2e.js";
import { useFakes } from "../support/fakes.js";
import { emulatorClient, uid } from "../support/firestore.js";

const { telegram, anthropic } = useFakes(startFakes);

describe("streamed answers, through the functions emulator", () => {
  it("a private chat sees the answer grow in a draft, then exactly one final message", async () => {
    const chat = newChat();
    // The model writes the whole story, then waits to finish until the test has seen the draft
    // grow: how many frames fit in the stream then never depends on how fast this machine is.
    const turn = post(
      textUpdate(chat, `tell me a story [[long:1500]] [[drip:60]] [[hold-end:story${chat}]]`),
    );
    await telegram.waitFor(() => telegram.draftsTo(chat).length >= 2, 60_000);
    anthropic.release(`story${chat}`);
    expect((await turn).status).toBe(200);
    const frames = telegram.draftsTo(chat).map((c) => String(c.payload.text ?? ""));
    expect(frames.length).toBeGreaterThanOrEqual(2);
    // One draft per turn, growing: every frame starts where the one before it did.
    expect(new Set(telegram.draftsTo(chat).map((c) => c.payload.draft_id)).size).toBe(1);
    for (let i = 1; i < frames.length; i++)
      expect(frames[i]!.length).toBeGreaterThanOrEqual(frames[i - 1]!.length);
    const final = sentTexts(telegram, chat);
    expect(final).toHaveLength(1);
    expect(final[0]).toContain(
      frames
        .at(-1)!
        .slice(0, 200)
        .replace(/<[^>]+>/g, "")
        .slice(0, 40),
    );
    expect(anthropic.requestsContaining("tell me a story")[0]!.body.stream).toBe(true);
  });

  it("a group gets no drafts: typing, then one message", async () => {
    const chat = -uid();
    await post(
      textUpdate(chat, "@agent_bot a story for all [[long:1500]] [[drip:60]]", {
        chatType: "supergroup",
        userId: uid(),
      }),
    );
    expect(telegram.draftsTo(chat)).toHaveLength(0);
    expect(sentTexts(telegram, chat)).toHaveLength(1);
  });

  it("/stop from a second instance ends the turn on the first; the partial answer is delivered and kept", async () => {
    const chat = newChat();
    const turn = post(textUpdate(chat, "write forever [[hold]]"));
    // The first delta reached the user's draft: the turn is generating on its instance.
    await telegram.waitFor(() => telegram.draftsTo(chat).length > 0, 30_000);
    // /stop arrives as another update, handled by another worker (another instance).
    const stop = await post(textUpdate(chat, "/stop"));
    expect(stop.status).toBe(200);
    expect((await turn).status).toBe(200);
    const [answer] = sentTexts(telegram, chat);
    expect(answer).toContain("(stopped)");
    expect(answer!.replace("(stopped)", "").trim().length).toBeGreaterThan(0); // the partial text
    expect(sentTexts(telegram, chat)).toHaveLength(1); // /stop itself says nothing more
    const conv = await emulatorClient().collection("conversations").doc(String(chat)).get();
    const turns = Object.values(conv.get("turns") as Record<string, { status: string; reply: unknown[] }>);
    expect(turns).toHaveLength(1);
    expect(turns[0]!.status).toBe("done");
    expect(JSON.stringify(turns[0]!.reply)).toContain("(stopped)");
    // The model stream was cut: the fake saw the client hang up.
    expect(anthropic.requestsContaining("write forever")[0]!.hungUp).toBe(true);
  });

  it("/stop with nothing running says so", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "/stop"));
    expect(sentTexts(telegram, chat)).toEqual(["There is nothing to stop right now."]);
  });
});
