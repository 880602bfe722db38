import { describe, expect, it } from "vitest";
import { post, startFakes, textUpdate } from "../support/e2e.js";
import { useFakes } from "../support/fakes.js";
import { emulatorClient, uid } from "../support/firestore.js";

const { telegram, anthropic } = useFakes(startFakes);

type Msg = { role: string; content: string | { type: string; text?: string }[] };

describe("topics are conversations, through the functions emulator", () => {
  it("two topics in one forum keep separate histories; replies go to the right topic; /reset is per topic", async () => {
    const chat = -uid();
    const user = uid();
    const inTopic = (thread: number, text: string) =>
      textUpdate(chat, text, { chatType: "supergroup", userId: user, threadId: thread });
    await post(inTopic(11, "@agent_bot topic eleven first"));
    await post(inTopic(22, "@agent_bot topic twenty-two first"));
    await post(inTopic(11, "@agent_bot topic eleven second"));
    const second = anthropic.requestsContaining("topic eleven second")[0]!;
    const history = JSON.stringify(second.body.messages as Msg[]);
    expect(history).toContain("topic eleven first");
    expect(history).not.toContain("twenty-two");
    const sent = telegram
      .messagesTo(chat)
      .map((m) => ({ thread: m.message_thread_id, text: String(m.text) }));
    expect(sent).toEqual([
      { thread: 11, text: expect.stringContaining("topic eleven first") },
      { thread: 22, text: expect.stringContaining("topic twenty-two first") },
      { thread: 11, text: expect.stringContaining("topic eleven second") },
    ]);
    // Each topic is its own document; /reset (by an admin) in one leaves the other.
    telegram.handle("getChatAdministrators", () => [
      { status: "creator", user: { id: user, is_bot: false, first_name: "Admin" } },
    ]);
    const db = emulatorClient();
    await post(inTopic(11, "/reset"));
    const eleven = await db.collection("conversations").doc(`${chat}_11`).get();
    const twentyTwo = await db.collection("conversations").doc(`${chat}_22`).get();
    expect(Object.keys(eleven.get("turns"))).toHaveLength(0);
    expect(Object.keys(twentyTwo.get("turns"))).toHaveLength(1);
    expect(telegram.messagesTo(chat).at(-1)!.message_thread_id).toBe(11);
  });

  it("a chat without topics keeps its conversation under the chat id (no migration)", async () => {
    const chat = uid();
    await post(textUpdate(chat, "plain chat"));
    expect((await emulatorClient().collection("conversations").doc(String(chat)).get()).exists).toBe(true);
  });
});
