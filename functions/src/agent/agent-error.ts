import type Anthropic from "@anthropic-ai/sdk";

/** What a turn was billed for: token counts as the Messages API reports them, searches, and the estimate. */
export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Server-side web searches (usage.server_tool_use.web_search_requests), billed per search. */
  webSearchRequests: number;
  costUsd: number;
  /** What prompt caching saved against the full input price (agent/pricing.ts cacheSavingsUsd). */
  cacheSavedUsd: number;
}

export const emptyUsage = (): AgentUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  webSearchRequests: 0,
  costUsd: 0,
  cacheSavedUsd: 0,
});

/**
 * A turn that failed after zero or more billed model calls. Carries what was billed
 * so the caller can still add it to the user's usage (spend is never under-reported),
 * and the original error as `cause` for classification (see classifyModelError).
 */
export class AgentError extends Error {
  override readonly name = "AgentError";
  constructor(
    override readonly cause: unknown,
    readonly usage: AgentUsage,
    /** Model requests made, including the one that failed. */
    readonly requests: number,
    readonly model: string,
  ) {
    // The cause's own message is not repeated: the log serializer appends it ("…: 529 Overloaded").
    super(`agent turn failed after ${requests} model request(s)`, { cause });
  }
}

/**
 * A streamed model request that failed or was aborted after its response began
 * (an `error` event mid-stream, a dropped connection, our abort). `cause` is the SDK's
 * error, which classification reads (agent/model-errors.ts); `usage` is what the API
 * had reported by then (message_start: input and cache tokens), since that much was
 * billed. Output generated before the cut is not reported by the API and is not known.
 */
export class StreamInterruptedError extends Error {
  override readonly name = "StreamInterruptedError";
  constructor(
    override readonly cause: unknown,
    readonly usage: Anthropic.Usage | null,
  ) {
    super("model stream interrupted", { cause });
  }
}
