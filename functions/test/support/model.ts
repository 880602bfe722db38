import type Anthropic from "@anthropic-ai/sdk";
import type { CreateMessage } from "../../src/agent/loop.js";

/** A Messages API answer as the SDK returns it. */
export function cannedMessage(text: string, model = "claude-sonnet-4-6"): Anthropic.Message {
  return {
    id: `msg_${Math.random().toString(36).slice(2)}`,
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text, citations: null }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: 10,
      output_tokens: 5,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  } as unknown as Anthropic.Message;
}

/**
 * A model the test holds: each call waits until `release()` (or its abort signal),
 * then answers `reply`. `calls` lets the test see a turn has reached the model.
 */
export function heldModel(reply = "held answer") {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const calls: Anthropic.MessageCreateParamsNonStreaming[] = [];
  const createMessage: CreateMessage = async (params, options) => {
    calls.push(params);
    await new Promise<void>((resolve, reject) => {
      void gate.then(resolve);
      options?.signal?.addEventListener("abort", () => reject(options.signal!.reason), { once: true });
    });
    return cannedMessage(reply);
  };
  return { createMessage, release, calls };
}

/** Resolves once `predicate` holds (polled; the condition, not the time, is what is tested). */
export async function until(predicate: () => boolean, what = "condition", timeoutMs = 30_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > giveUp) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
