import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../../../devtools/fake-anthropic.js";
import { StreamInterruptedError } from "../../../src/agent/agent-error.js";
import type { ModelStreamEvents, StreamMessage } from "../../../src/agent/loop.js";
import { describeModelError } from "../../../src/agent/model-errors.js";
import { sdkStreamMessage } from "../../../src/agent/model-stream.js";
import { until } from "../../support/model.js";

const params = (text: string, over: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}) => ({
  model: "claude-sonnet-4-6",
  max_tokens: 4096,
  messages: [{ role: "user" as const, content: [{ type: "text" as const, text }] }],
  ...over,
});
const calculator: Anthropic.Tool = {
  name: "calculator",
  description: "arithmetic",
  input_schema: { type: "object", properties: { expression: { type: "string" } } },
};

function recorder() {
  const texts: string[] = [];
  const tools: string[] = [];
  const events: ModelStreamEvents = { text: (d) => texts.push(d), toolStarted: (n) => tools.push(n) };
  return { texts, tools, events };
}

describe("the SDK streaming port", () => {
  let fake: FakeAnthropic;
  let client: Anthropic;
  let stream: StreamMessage;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0 });
    client = new Anthropic({ baseURL: fake.url, apiKey: "test", maxRetries: 0 });
    stream = sdkStreamMessage(client);
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it("text arrives as deltas; the final Message is what create returns", async () => {
    const { texts, tools, events } = recorder();
    const streamed = await stream(params("[[long:300]]"), { events });
    fake.reset();
    const created = await client.messages.create(params("[[long:300]]"));
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.join("")).toBe((streamed.content[0] as Anthropic.TextBlock).text);
    expect(tools).toEqual([]);
    const { id: _s, ...s } = streamed;
    const { id: _c, ...c } = created;
    expect(JSON.parse(JSON.stringify(s))).toEqual(JSON.parse(JSON.stringify(c)));
    expect("parsed_output" in streamed).toBe(false);
  });

  it("a tool call is reported when its block starts, and its input arrives whole", async () => {
    const { tools, events } = recorder();
    const m = await stream(params('x [[tool:calculator {"expression":"6*7"}]]', { tools: [calculator] }), {
      events,
    });
    expect(tools).toEqual(["calculator"]);
    expect(m.stop_reason).toBe("tool_use");
    expect(m.content).toEqual([
      { type: "tool_use", id: expect.any(String), name: "calculator", input: { expression: "6*7" } },
    ]);
  });

  it("aborting stops the stream: the fake stops generating, and the billed input is reported", async () => {
    const { texts, events } = recorder();
    const controller = new AbortController();
    const abortOnFirst: ModelStreamEvents = {
      ...events,
      text: (d) => {
        events.text(d);
        controller.abort();
      },
    };
    const err = await stream(params("[[long:4000]] [[hold]]"), {
      signal: controller.signal,
      events: abortOnFirst,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamInterruptedError);
    expect((err as StreamInterruptedError).cause).toBeInstanceOf(Anthropic.APIUserAbortError);
    expect((err as StreamInterruptedError).usage?.input_tokens).toBeGreaterThan(0);
    expect(describeModelError(err)?.cause).toBe("aborted");
    expect(texts).toHaveLength(1);
    await until(() => fake.requests[0]!.hungUp, "the fake to see the hang-up");
    // 4000 characters are 100 deltas of 40; the fake held after the first until we hung up.
    expect(fake.requests[0]!.deltas).toBe(1);
  });

  it("an error before the response began is the SDK's own error (nothing billed)", async () => {
    const err = await stream(params("[[fail:529]]"), { events: recorder().events }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err).not.toBeInstanceOf(StreamInterruptedError);
    expect(describeModelError(err)?.failure).toBe("overloaded");
  });

  it("an error event mid-stream is interrupted, classified by its type", async () => {
    const err = await stream(params("[[stream-error]]"), { events: recorder().events }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StreamInterruptedError);
    expect(describeModelError(err)).toMatchObject({ failure: "overloaded", cause: "overloaded_error" });
  });
});
