import type { Clock } from "../timeouts.js";

/**
 * Draft frames per chat, paced on this instance.
 *
 * The Bot API documents no limit for sendMessageDraft or sendRichMessageDraft (its
 * pages give only the sendMessage guidance of about one message per second per chat).
 * We assume one exists and behave as if Telegram allowed at most 4 draft frames per
 * chat in any second, and pace below it: one frame every 333 ms (3 per second) and at
 * most one on the wire per chat (draft-stream.ts), which leaves room for network
 * jitter bunching frames up on arrival. The benchmark (scripts/bench/streaming.mjs)
 * runs the fake Bot API with exactly that assumed limit and counts 429s.
 *
 * A 429 is honoured by skipping frames: no frame for that chat until its retry_after
 * has passed; the newest text is sent then. The final answer never waits for this: it
 * is a message, sent on its own path (telegram/deliver.ts).
 *
 * One pacer per instance, shared by every turn, so two turns for one chat (a redelivery
 * racing its original) still share the budget.
 */
export const DRAFT_FRAME_INTERVAL_MS = 333;
/** The limit we assume Telegram enforces, and the fake Bot API enforces in the benchmark. */
export const ASSUMED_DRAFT_LIMIT = { perChat: 4, windowMs: 1000 } as const;

export class DraftPacer {
  /** Per chat: the earliest time (clock ms) its next frame may leave. */
  private readonly next = new Map<number, number>();

  constructor(
    private readonly clock: Clock,
    readonly intervalMs = DRAFT_FRAME_INTERVAL_MS,
    /** Chats remembered at most; entries whose time has passed carry nothing and go first. */
    private readonly maxChats = 10_000,
  ) {}

  /** Milliseconds before this chat may get its next frame (0: now). */
  delay(chatId: number): number {
    const at = this.next.get(chatId);
    return at === undefined ? 0 : Math.max(0, at - this.clock.now());
  }

  /** A frame for this chat left now. */
  sent(chatId: number): void {
    this.push(chatId, Math.max(this.clock.now() + this.intervalMs, this.next.get(chatId) ?? 0));
  }

  /** Telegram answered 429: nothing for this chat until `retryAfterSec` have passed. */
  limited(chatId: number, retryAfterSec: number): void {
    const until = this.clock.now() + Math.max(1, retryAfterSec) * 1000;
    this.push(chatId, Math.max(until, this.next.get(chatId) ?? 0));
  }

  get size(): number {
    return this.next.size;
  }

  private push(chatId: number, at: number): void {
    this.next.delete(chatId); // re-inserted last: the map's order is the age of its entries
    this.next.set(chatId, at);
    if (this.next.size <= this.maxChats) return;
    const now = this.clock.now();
    for (const [chat, t] of this.next) if (t <= now) this.next.delete(chat);
    for (const chat of this.next.keys()) {
      if (this.next.size <= this.maxChats) break;
      this.next.delete(chat);
    }
  }
}
