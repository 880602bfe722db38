import { Timestamp } from "@google-cloud/firestore";
import { describe, expect, it } from "vitest";
import {
  capTurns,
  historyFor,
  insertTurn,
  jsonBytes,
  sanitizeReply,
  toModelMessages,
} from "../../../src/state/history.js";
import type { StoredMessage, Turn } from "../../../src/state/schemas.js";

const at = Timestamp.fromMillis(0);
function turn(
  id: number,
  text: string,
  reply: StoredMessage[] = [{ role: "assistant", content: `re ${text}` }],
): Turn {
  return { updateId: id, userId: 1, at, user: [{ type: "text", text }], reply, status: "done" };
}
const toolTurn = (id: number): Turn =>
  turn(id, `tools ${id}`, [
    { role: "assistant", content: [{ type: "tool_use", id: `t${id}`, name: "calculator", input: {} }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: `t${id}`, content: "2" }] },
    { role: "assistant", content: [{ type: "text", text: "it is 2" }] },
  ]);

function assertValid(messages: StoredMessage[]) {
  expect(messages[0]?.role).toBe("user");
  expect(messages.map((m) => m.role)).toEqual(messages.map((_, i) => (i % 2 === 0 ? "user" : "assistant")));
  // every tool_result answers a tool_use in the message right before it
  messages.forEach((m, i) => {
    if (typeof m.content === "string") return;
    for (const b of m.content.filter((x) => x.type === "tool_result")) {
      const prev = messages[i - 1]!;
      const ids = typeof prev.content === "string" ? [] : prev.content.map((x) => x.id);
      expect(ids).toContain(b.tool_use_id);
    }
  });
}

describe("toModelMessages", () => {
  it("flattens turns user-first and alternating, merging a turn that got no reply", () => {
    const pending = { ...turn(2, "second"), reply: [], status: "failed" as const };
    const msgs = toModelMessages([turn(1, "first"), pending, turn(3, "third"), toolTurn(4)]);
    assertValid(msgs);
    expect(msgs).toHaveLength(8); // 2 + merged 2 + tool turn 4
    expect(msgs[2]!.content).toEqual([
      { type: "text", text: "second" },
      { type: "text", text: "third" },
    ]);
  });
});

describe("capTurns", () => {
  it("caps by message count, dropping whole turns from the oldest end", () => {
    const turns = [toolTurn(1), turn(2, "b"), toolTurn(3), turn(4, "d")];
    const { turns: kept, messages } = capTurns(turns, { maxMessages: 7, maxBytes: 1e6 });
    expect(kept.map((t) => t.updateId)).toEqual([3, 4]);
    expect(messages).toBe(6);
    assertValid(toModelMessages(kept));
  });

  it("caps by bytes as well as count", () => {
    const turns = Array.from({ length: 10 }, (_, i) => turn(i, "x".repeat(500)));
    const { turns: kept, bytes } = capTurns(turns, { maxMessages: 100, maxBytes: 2_500 });
    expect(bytes).toBeLessThanOrEqual(2_500);
    expect(jsonBytes(kept)).toBeLessThanOrEqual(2_500 + kept.length);
    expect(kept.at(-1)!.updateId).toBe(9);
  });

  it("never creeps: capping a capped history again changes nothing", () => {
    let turns: Turn[] = [];
    for (let i = 0; i < 50; i++) {
      turns = capTurns(insertTurn(turns, i % 3 ? turn(i, `m${i}`) : toolTurn(i)), {
        maxMessages: 9,
        maxBytes: 1e6,
      }).turns;
      const count = turns.reduce((n, t) => n + 1 + t.reply.length, 0);
      expect(count).toBeLessThanOrEqual(9);
    }
    expect(capTurns(turns, { maxMessages: 9, maxBytes: 1e6 }).dropped).toBe(0);
  });

  it("a late turn older than the window is trimmed from storage but still sent to the model", () => {
    const window = capTurns(insertTurn([turn(5, "e"), turn(6, "f")], turn(2, "late")), {
      maxMessages: 4,
      maxBytes: 1e6,
    }).turns;
    expect(window.map((t) => t.updateId)).toEqual([5, 6]); // storage: the newest turns, no gap
    const late: Turn = { ...turn(2, "late"), reply: [], status: "pending" };
    const sent = toModelMessages(historyFor(window, late));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.content).toEqual([{ type: "text", text: "late" }]);
    expect(historyFor(window, turn(9, "new")).map((t) => t.updateId)).toEqual([5, 6, 9]);
  });

  it("compacts a single turn that alone exceeds the limits, keeping a valid pair", () => {
    const huge = turn(1, "y".repeat(10_000), [
      { role: "assistant", content: [{ type: "tool_use", id: "a", name: "notes", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "a", content: "z".repeat(10_000) }] },
      { role: "assistant", content: [{ type: "text", text: "w".repeat(10_000) }] },
    ]);
    const { turns, bytes, messages } = capTurns([huge], { maxMessages: 2, maxBytes: 4_000 });
    expect(bytes).toBeLessThanOrEqual(4_000);
    expect(messages).toBe(2);
    assertValid(toModelMessages(turns));
  });
});

describe("sanitizeReply", () => {
  it("drops unanswered tool calls and a trailing results message", () => {
    const reply = sanitizeReply([
      {
        role: "assistant",
        content: [
          { type: "text", text: "let me" },
          { type: "tool_use", id: "1", name: "x", input: {} },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "1", content: "ok" }] },
      { role: "assistant", content: [{ type: "tool_use", id: "2", name: "x", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "2", content: "ok" }] },
    ]);
    expect(reply.at(-1)!.role).toBe("assistant");
    expect(JSON.stringify(reply)).not.toContain('"id":"2"');
    assertValid(toModelMessages([{ ...turn(1, "q"), reply }]));
  });

  it("removes tool results that answer no call of the previous message", () => {
    const reply = sanitizeReply([
      { role: "assistant", content: [{ type: "tool_use", id: "1", name: "x", input: {} }] },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "1", content: "ok" },
          { type: "tool_result", tool_use_id: "ghost", content: "?" },
        ],
      },
      { role: "assistant", content: "done" },
    ]);
    expect(JSON.stringify(reply)).not.toContain("ghost");
    expect(reply).toHaveLength(3);
  });

  it("an empty reply becomes a single assistant message", () => {
    expect(sanitizeReply([])).toEqual([
      { role: "assistant", content: [{ type: "text", text: "(stopped)" }] },
    ]);
  });
});

describe("insertTurn", () => {
  it("keeps update order and replaces a turn with the same id", () => {
    const turns = insertTurn(insertTurn([turn(1, "a"), turn(5, "e")], turn(3, "c")), turn(5, "E"));
    expect(turns.map((t) => String(t.user[0]!.text))).toEqual(["a", "c", "E"]);
  });
});
