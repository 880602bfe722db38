import { LRUCache } from "lru-cache";
import type { Clock } from "../timeouts.js";

export type RefusalKind =
  | "rate_limited"
  | "not_allowed"
  | "too_long"
  | "unsupported"
  | "not_admin"
  | "over_budget";

/**
 * Refusals are sent at most once per user, chat and kind per window on an
 * instance; the ones after that cost nothing (no commit, no Bot API call). A
 * flood therefore cannot be amplified into our own Telegram 429s, which
 * auto-retry would then sleep on inside the chat's queue.
 */
export class Refusals {
  private readonly until: LRUCache<string, number>;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = 60_000,
  ) {
    this.until = new LRUCache<string, number>({ max: 10_000 });
  }

  /** True for the first refusal of this kind in the window (and starts the window). */
  first(chatId: number, actorId: number, kind: RefusalKind, windowMs = this.windowMs): boolean {
    const key = `${chatId}:${actorId}:${kind}`;
    const now = this.clock.now();
    if ((this.until.get(key) ?? 0) > now) return false;
    this.until.set(key, now + windowMs);
    return true;
  }

  /** Undoes `first` when the refusal could not be sent (its redelivery must send it). */
  unmark(chatId: number, actorId: number, kind: RefusalKind): void {
    this.until.delete(`${chatId}:${actorId}:${kind}`);
  }
}
