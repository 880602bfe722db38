import type Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { type CreateMessage, runAgent } from "../../../src/agent/loop.js";
import { ALL_TOOLS } from "../../../src/agent/tools/index.js";
import { Metrics } from "../../../src/observability/metrics.js";
import { DEFAULT_SKILL } from "../../../src/state/skills.js";
import { captureLogs } from "../../support/logs.js";

type Block = Record<string, unknown>;
const message = (content: Block[], stop: string): Anthropic.Message =>
  ({
    id: "m",
    type: "message",
    role: "assistant",
    model: "x",
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: {
      input_tokens: 100,
      output_tokens: 10,
      cache_read_input_tokens: 50,
      cache_creation_input_tokens: 0,
    },
  }) as unknown as Anthropic.Message;

function scripted(answers: Anthropic.Message[]) {
  const requests: Anthropic.MessageCreateParamsNonStreaming[] = [];
  const create: CreateMessage = async (params) => {
    requests.push(structuredClone(params));
    const next = answers.shift();
    if (!next) throw new Error("no more scripted answers");
    return next;
  };
  return { create, requests };
}

function run(create: CreateMessage, maxIterations = 4) {
  const { log } = captureLogs();
  return runAgent({
    history: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    skill: DEFAULT_SKILL,
    tools: ALL_TOOLS,
    model: "claude-sonnet-4-6",
    maxTokens: 100,
    maxIterations,
    toolContext: { userId: 1, chatId: 1, notes: {} as never, now: () => new Date(0), log },
    createMessage: create,
    metrics: new Metrics(),
    log,
  });
}

describe("runAgent", () => {
  it("answers directly, with max_tokens, system and tool schemas cached", async () => {
    const { create, requests } = scripted([message([{ type: "text", text: "hello" }], "end_turn")]);
    const r = await run(create);
    expect(r.text).toBe("hello");
    expect(r.reply).toEqual([{ role: "assistant", content: [{ type: "text", text: "hello" }] }]);
    const req = requests[0]!;
    expect(req.max_tokens).toBe(100);
    expect((req.system as unknown as Block[])[0]!.cache_control).toEqual({ type: "ephemeral" });
    expect(req.tools!.at(-1)).toMatchObject({ cache_control: { type: "ephemeral" } });
    expect(req.tools!.map((t) => (t as { name: string }).name)).toEqual([
      "current_time",
      "calculator",
      "notes",
    ]);
    expect(
      (req.tools![1] as { input_schema: { properties: object } }).input_schema.properties,
    ).toHaveProperty("expression");
    expect(r.usage).toMatchObject({ inputTokens: 100, outputTokens: 10, cacheReadTokens: 50 });
    expect(r.usage.costUsd).toBeGreaterThan(0);
  });

  it("runs a tool and sends the result back in the next user turn", async () => {
    const { create, requests } = scripted([
      message([{ type: "tool_use", id: "t1", name: "calculator", input: { expression: "6*7" } }], "tool_use"),
      message([{ type: "text", text: "42" }], "end_turn"),
    ]);
    const r = await run(create);
    expect(r.text).toBe("42");
    const last = requests[1]!.messages.at(-1)!;
    expect(last).toEqual({
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "t1", content: "42" }],
    });
    expect(r.reply).toHaveLength(3);
  });

  it("an unknown tool and invalid input become tool_result with is_error: true", async () => {
    const { create, requests } = scripted([
      message(
        [
          { type: "tool_use", id: "a", name: "rm_rf", input: {} },
          { type: "tool_use", id: "b", name: "calculator", input: { expression: 5 } },
          { type: "tool_use", id: "c", name: "calculator", input: { expression: "1/0" } },
        ],
        "tool_use",
      ),
      message([{ type: "text", text: "sorry" }], "end_turn"),
    ]);
    await run(create);
    const results = requests[1]!.messages.at(-1)!.content as unknown as Block[];
    expect(results.map((b) => [b.tool_use_id, b.is_error])).toEqual([
      ["a", true],
      ["b", true],
      ["c", true],
    ]);
    expect(String(results[2]!.content)).toContain("division by zero");
  });

  it("hitting the iteration bound ends with a clear message and a storable reply", async () => {
    const loop = () =>
      message(
        [{ type: "tool_use", id: `t${Math.random()}`, name: "calculator", input: { expression: "1" } }],
        "tool_use",
      );
    const { create, requests } = scripted([loop(), loop(), loop()]);
    const r = await run(create, 2);
    expect(requests).toHaveLength(2);
    expect(r.hitIterationLimit).toBe(true);
    expect(r.text).toContain("I stopped after 2 tool steps");
    expect(r.reply.at(-1)!.role).toBe("assistant");
    // no tool_use is left without its result
    expect(JSON.stringify(r.reply.at(-1))).not.toContain("tool_use");
  });

  it("propagates model errors to the caller (classified there)", async () => {
    const create: CreateMessage = async () => {
      throw new Error("network");
    };
    await expect(run(create)).rejects.toThrow("network");
  });
});
