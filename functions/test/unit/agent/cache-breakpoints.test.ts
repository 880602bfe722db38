import type Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import {
  CACHE_CONTROL,
  countBreakpoints,
  MAX_BREAKPOINTS,
  placeCacheBreakpoints,
  previousRequestEnd,
} from "../../../src/agent/cache-breakpoints.js";

type Params = Anthropic.MessageCreateParamsNonStreaming;
const user = (text: string): Anthropic.MessageParam => ({ role: "user", content: [{ type: "text", text }] });
const assistant = (text: string): Anthropic.MessageParam => ({ role: "assistant", content: text });
const params = (messages: Anthropic.MessageParam[]): Params => ({
  model: "claude-sonnet-4-6",
  max_tokens: 10,
  system: [{ type: "text", text: "rules" }],
  tools: [{ name: "t", input_schema: { type: "object" } }],
  messages,
});
const marked = (p: Params) =>
  p.messages.flatMap((m, i) =>
    typeof m.content === "string"
      ? []
      : m.content.flatMap((b, j) => ("cache_control" in b && b.cache_control ? [`${i}.${j}`] : [])),
  );

describe("placeCacheBreakpoints", () => {
  it("marks the tools, the system prompt and the last block of the last message", () => {
    const input = params([user("a")]);
    const p = placeCacheBreakpoints(input, null);
    expect((p.system as Anthropic.TextBlockParam[])[0]!.cache_control).toEqual(CACHE_CONTROL);
    expect(p.tools).toEqual([{ ...params([]).tools![0], cache_control: CACHE_CONTROL }]);
    expect(input.tools![0]).not.toHaveProperty("cache_control"); // shared definitions untouched
    expect(marked(p)).toEqual(["0.0"]);
    expect(countBreakpoints(p)).toBe(3);
  });

  it("marks where the previous request ended, so it is read exactly however much was added", () => {
    const results = Array.from({ length: 15 }, (_, i) => ({
      type: "tool_result" as const,
      tool_use_id: `t${i}`,
      content: "r",
    }));
    const calls = Array.from({ length: 15 }, (_, i) => ({
      type: "tool_use" as const,
      id: `t${i}`,
      name: "t",
      input: {},
    }));
    // 31 blocks added since the previous request: beyond the 20-block lookback.
    const p = placeCacheBreakpoints(
      params([user("a"), { role: "assistant", content: calls }, { role: "user", content: results }]),
      1,
    );
    expect(marked(p)).toEqual(["0.0", "2.14"]);
    expect(countBreakpoints(p)).toBe(MAX_BREAKPOINTS);
  });

  it("converts string content, never mutates its input, and replaces stale marks", () => {
    const input = params([
      { role: "user", content: [{ type: "text", text: "old", cache_control: CACHE_CONTROL }] },
      assistant("b"),
      { role: "user", content: "c" },
    ]);
    const before = structuredClone(input);
    const p = placeCacheBreakpoints(input, 2);
    expect(input).toEqual(before);
    expect(marked(p)).toEqual(["1.0", "2.0"]);
    expect(p.messages[2]).toEqual({
      role: "user",
      content: [{ type: "text", text: "c", cache_control: CACHE_CONTROL }],
    });
  });

  it("previousRequestEnd: the previous turn's last request ended before its final answer", () => {
    expect(previousRequestEnd([user("a")])).toBeNull();
    expect(previousRequestEnd([user("a"), assistant("b"), user("c")])).toBe(1);
    expect(
      previousRequestEnd([user("a"), assistant("call"), user("result"), assistant("answer"), user("next")]),
    ).toBe(3);
  });
});
