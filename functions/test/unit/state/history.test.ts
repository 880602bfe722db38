import { Timestamp } from "@google-cloud/firestore";
import { describe, expect, it } from "vitest";
import {
  capTurns,
  DROPPED_STATUS,
  historyFor,
  insertTurn,
  jsonBytes,
  replyText,
  sanitizeReply,
  TRIM_TO,
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
    const { turns: kept, messages } = capTurns(turns, { maxMessages: 7, maxBytes: 1e6, trimTo: 1 });
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
      trimTo: 1,
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

describe("capTurns in steps (cache-stable)", () => {
  it("over the cap, trims to the low-water mark of both caps", () => {
    const turns = Array.from({ length: 21 }, (_, i) => turn(i, `m${i}`)); // 42 messages
    const capped = capTurns(turns, { maxMessages: 40, maxBytes: 1e6 });
    expect(capped.messages).toBeLessThanOrEqual(Math.floor(40 * TRIM_TO));
    expect(capped.turns.at(-1)!.updateId).toBe(20);
    const bySize = Array.from({ length: 10 }, (_, i) => turn(i, "x".repeat(500)));
    const sized = capTurns(bySize, { maxMessages: 100, maxBytes: 4_000 });
    expect(sized.bytes).toBeLessThanOrEqual(4_000 * TRIM_TO);
  });

  it("under the cap, changes nothing", () => {
    const turns = Array.from({ length: 20 }, (_, i) => turn(i, `m${i}`)); // exactly 40
    expect(capTurns(turns, { maxMessages: 40, maxBytes: 1e6 }).dropped).toBe(0);
  });

  it("over 200 writes: invariants hold on every write and the prefix only changes at a trim", () => {
    const limits = { maxMessages: 40, maxBytes: 20_000 };
    let stored: Turn[] = [];
    let trims = 0;
    for (let i = 0; i < 200; i++) {
      const next = i % 4 === 0 ? toolTurn(i) : turn(i, `message ${i} ${"w".repeat((i * 37) % 300)}`);
      // As the store does it: cap when the turn begins, then again when its reply is stored.
      const pending = { ...next, reply: [], status: "pending" as const };
      const begun = capTurns(insertTurn(stored, pending), limits).turns;
      const done = capTurns(
        begun.map((t) => (t.updateId === i ? next : t)),
        limits,
      );
      const ids = done.turns.map((t) => t.updateId);
      const before = stored.map((t) => t.updateId);
      if (ids[0] !== before[0] && before.length > 0) trims++;
      else expect(ids.slice(0, before.length)).toEqual(before); // unchanged prefix, appended turn
      const count = done.turns.reduce((n, t) => n + 1 + t.reply.length, 0);
      expect(count).toBeLessThanOrEqual(limits.maxMessages);
      expect(jsonBytes(done.turns)).toBeLessThanOrEqual(limits.maxBytes + done.turns.length);
      assertValid(toModelMessages(done.turns));
      expect(ids.at(-1)).toBe(i);
      stored = done.turns;
    }
    // One-turn-at-a-time capping would change the prefix on nearly every write once full;
    // in steps, a trim frees ~40% of the cap, i.e. several turns' worth.
    expect(trims).toBeGreaterThan(0);
    expect(trims).toBeLessThan(200 / 5);
  });

  it("trimTo: 1 trims one turn at a time (the comparison the bench makes)", () => {
    let stored: Turn[] = [];
    let trims = 0;
    for (let i = 0; i < 60; i++) {
      const before = stored[0]?.updateId;
      stored = capTurns(insertTurn(stored, turn(i, `m${i}`)), {
        maxMessages: 40,
        maxBytes: 1e6,
        trimTo: 1,
      }).turns;
      if (before !== undefined && stored[0]!.updateId !== before) trims++;
    }
    expect(trims).toBe(40); // every write after the 20th turn
  });
});

describe("toModelMessages and dropped turns", () => {
  it("leaves out a dropped turn (a refused prompt is never sent again)", () => {
    const dropped = { ...turn(2, "refused prompt"), reply: [], status: DROPPED_STATUS } as unknown as Turn;
    const msgs = toModelMessages([turn(1, "first"), dropped, turn(3, "third")]);
    assertValid(msgs);
    expect(JSON.stringify(msgs)).not.toContain("refused prompt");
    expect(msgs).toHaveLength(4);
  });
});

describe("replyText", () => {
  it("concatenates adjacent fragments, separates runs around tool blocks, and renders web citations as links", () => {
    const reply: StoredMessage[] = [
      { role: "assistant", content: [{ type: "text", text: "ignored: not the final message" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Let me look that up." },
          { type: "server_tool_use", id: "s1", name: "web_search", input: { query: "q" } },
          { type: "web_search_tool_result", tool_use_id: "s1", content: [] },
          { type: "text", text: "According to the docs, " },
          {
            type: "text",
            text: "the limit is 4.",
            citations: [
              {
                type: "web_search_result_location",
                url: "https://a.example/x_(y)",
                title: "A [docs]",
                cited_text: "…",
              },
              {
                type: "web_search_result_location",
                url: "https://a.example/x_(y)",
                title: "dup",
                cited_text: "…",
              },
              { type: "web_search_result_location", url: "https://b.example/", title: null, cited_text: "…" },
              {
                type: "web_search_result_location",
                url: "javascript:alert(1)",
                title: "no",
                cited_text: "…",
              },
            ],
          },
          { type: "text", text: " That is all." },
        ],
      },
    ];
    expect(replyText(reply)).toBe(
      "Let me look that up.\n\nAccording to the docs, the limit is 4. ([A docs](https://a.example/x_%28y%29), [b.example](https://b.example/)) That is all.",
    );
    expect(replyText([])).toBe("");
    expect(replyText([{ role: "assistant", content: "plain" }])).toBe("plain");
  });
});

describe("sanitizeReply", () => {
  it("keeps server tool calls with their results verbatim, drops a call without its result, merges a paused turn", () => {
    const search = [
      { type: "server_tool_use", id: "s1", name: "web_search", input: { query: "q" } },
      {
        type: "web_search_tool_result",
        tool_use_id: "s1",
        content: [{ type: "web_search_result", url: "u" }],
      },
    ];
    const reply = sanitizeReply([
      { role: "assistant", content: [{ type: "text", text: "Searching." }, ...search] },
      {
        role: "assistant",
        content: [
          { type: "server_tool_use", id: "s2", name: "web_search", input: { query: "cut" } },
          { type: "text", text: "Found it." },
        ],
      },
    ]);
    expect(reply).toEqual([
      {
        role: "assistant",
        content: [{ type: "text", text: "Searching." }, ...search, { type: "text", text: "Found it." }],
      },
    ]);
  });

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
