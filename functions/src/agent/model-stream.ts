import type Anthropic from "@anthropic-ai/sdk";
import { StreamInterruptedError } from "./agent-error.js";
import type { StreamMessage } from "./loop.js";

/**
 * The streaming port (loop.ts StreamMessage) over the SDK's `client.messages.stream`.
 *
 * Events come from the raw stream events, as they arrive: each `text_delta` is answer
 * text; each `content_block_start` of a `tool_use` or `server_tool_use` block is a tool
 * call beginning (a server tool such as web_search runs inside the request, so this is
 * the only moment the user can be told about it). The result is the SDK's accumulated
 * final Message: the same content, stop reason and usage messages.create returns, so
 * the loop stores and bills a streamed turn exactly like a non-streamed one.
 *
 * The signal goes to the SDK, which aborts the HTTP request: the connection closes and
 * Anthropic stops generating (and billing) the answer.
 *
 * Retries: the SDK retries 408/409/429/5xx/529 until the response begins, as for
 * create. An `error` event in the middle of a stream (e.g. overloaded_error) is not
 * retried by the SDK, and neither here: the text already shown came from that attempt.
 * It ends the turn like any model error, and what was billed by then is reported.
 */
export function sdkStreamMessage(client: Pick<Anthropic, "messages">): StreamMessage {
  return async (params, { signal, events }) => {
    const stream = client.messages.stream(params, signal ? { signal } : undefined);
    let billed: Anthropic.Usage | null = null;
    stream.on("streamEvent", (event) => {
      switch (event.type) {
        case "message_start":
          billed = { ...event.message.usage };
          break;
        case "content_block_start":
          if (event.content_block.type === "tool_use" || event.content_block.type === "server_tool_use") {
            events.toolStarted(event.content_block.name);
          }
          break;
        case "content_block_delta":
          if (event.delta.type === "text_delta") events.text(event.delta.text);
          break;
      }
    });
    let message: Anthropic.Message;
    try {
      message = await stream.finalMessage();
    } catch (err) {
      // Before message_start nothing was generated (and the SDK has retried what it could).
      if (billed === null) throw err;
      throw new StreamInterruptedError(err, billed);
    }
    return plain(message);
  };
}

/**
 * The accumulated Message without the stream helper's additions (`parsed_output`, and
 * non-enumerable bookkeeping on blocks), so what is stored is what create would return.
 */
function plain(message: Anthropic.Message): Anthropic.Message {
  const { parsed_output: _parsed, ...rest } = message as Anthropic.Message & { parsed_output?: unknown };
  return { ...rest, content: rest.content.map((block) => ({ ...block })) };
}
