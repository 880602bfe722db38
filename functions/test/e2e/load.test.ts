import { describe, expect, it } from "vitest";
import { deliverLikeTelegram, nextUpdateId, startFakes, storedConversation } from "../support/e2e.js";
import { useFakes } from "../support/fakes.js";
import { uid } from "../support/firestore.js";

const { telegram, anthropic } = useFakes(startFakes);

const CHATS = 20;
const PER_CHAT = 10;
const DUPLICATES = 40;
const IN_FLIGHT = 16;
const HISTORY_MAX_MESSAGES = 10; // functions/.env.demo-test

/** A group message from a distinct user that addresses the bot (so the per-user rate limit is not hit). */
function groupUpdate(chatId: number, i: number) {
  return {
    update_id: nextUpdateId(),
    message: {
      message_id: 1000 + i,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "group", title: "load" },
      from: { id: uid(), is_bot: false, first_name: `U${i}` },
      text: `@agent_bot load ${chatId} #${i}`,
      entities: [{ type: "mention", offset: 0, length: "@agent_bot".length }],
    },
  };
}

async function pool<T>(items: T[], limit: number, run: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

describe("load through the functions emulator", () => {
  it("200 updates over 20 chats with duplicates: each answered once, histories complete and in order, caps held", async () => {
    const chats = Array.from({ length: CHATS }, () => -uid());
    const byChat = new Map(
      chats.map((c) => [c, Array.from({ length: PER_CHAT }, (_, i) => groupUpdate(c, i))]),
    );
    const unique = [...byChat.values()].flat();
    const dupes = Array.from({ length: DUPLICATES }, (_, i) => unique[(i * 7) % unique.length]!);
    const sends = [...unique, ...dupes].sort(() => Math.random() - 0.5);
    // Like Telegram: an update answered with anything but 200 is delivered again. A
    // duplicate that meets its original in flight gets 503 at once and comes back.
    const statuses: number[] = [];
    await pool(sends, IN_FLIGHT, async (u) => {
      statuses.push(...(await deliverLikeTelegram(u)));
    });
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);

    // One model call and one reply per unique update, none for duplicates.
    expect(anthropic.requests).toHaveLength(unique.length);
    for (const [chat, updates] of byChat) {
      const replies = telegram.messagesTo(chat).map((p) => p.reply_parameters?.message_id);
      expect(replies.sort(), `chat ${chat}`).toEqual(updates.map((u) => u.message.message_id).sort());
      // The stored history is the newest turns, in update order, within the cap.
      const stored = await storedConversation(chat);
      const ids = stored!.turns.map((t) => t.updateId);
      const expected = updates.map((u) => u.update_id).slice(-ids.length);
      expect(ids, `chat ${chat}`).toEqual(expected);
      const messages = stored!.turns.reduce((n, t) => n + 1 + t.reply.length, 0);
      expect(messages).toBeLessThanOrEqual(HISTORY_MAX_MESSAGES);
      expect(stored!.turns.every((t) => t.status === "done")).toBe(true);
    }
  });
});
