/**
 * Thrown by a handler when Telegram must deliver the update again (the webhook
 * answers 503): the update is in flight on another request, or its reply is
 * stored but could not be sent yet. Nothing is lost: the claim records what is
 * left to do, and the redelivery does exactly that.
 */
export class RedeliverError extends Error {
  override readonly name = "RedeliverError";
  constructor(
    readonly reason:
      | "in flight elsewhere"
      | "reply not delivered yet"
      | "out of time"
      | "telegram unavailable",
    options?: { cause?: unknown },
  ) {
    super(`redeliver: ${reason}`, options);
  }
}
