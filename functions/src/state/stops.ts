import { Timestamp } from "@google-cloud/firestore";
import { z } from "zod";
import type { Effect } from "./claims.js";
import { conversationId, type Where } from "./conversations.js";
import type { DocIO } from "./firestore.js";
import type { Op } from "./op.js";

/**
 * `stops/{conversationId}`: "stop generating every turn of this conversation
 * whose update id is below `upTo`". Written by /stop (or Telegram's stop button
 * on a draft) on whatever instance gets it, and watched by the instance that is
 * generating (a Firestore listener, so it notices within about a second; a stop
 * on the same instance is seen at once, in memory). Update ids only grow within
 * a chat, so an old stop never stops a newer turn.
 */
export const StopSchema = z.object({ upTo: z.number().int(), at: z.instanceof(Timestamp) });

export class StopStore {
  constructor(
    private readonly io: DocIO,
    private readonly now: () => number,
  ) {}

  private ref(where: Where) {
    return this.io.ref("stops", conversationId(where));
  }

  private data(upTo: number) {
    return { upTo, at: Timestamp.fromMillis(this.now()) };
  }

  /** The stop as the effect of a /stop command's claim: written exactly once, with its answer. */
  effect(where: Where, upTo: number): Effect {
    return {
      prepare: async () => {},
      write: (writes) => void writes.set(this.ref(where), this.data(upTo)),
      committed: () => {},
      failed: () => {},
    };
  }

  /** A stop without a claim of its own (Telegram's stop button: repeating it changes nothing). */
  async request(where: Where, upTo: number, op: Op): Promise<void> {
    await this.io.commit(op, (writes) => writes.set(this.ref(where), this.data(upTo)));
  }

  /**
   * Calls `onStop` once when a stop for `updateId` appears (upTo above it). The
   * listener's own failures are only logged: the turn still ends by its deadline.
   */
  watch(where: Where, updateId: number, onStop: () => void, op: Op): () => void {
    let fired = false;
    const unsubscribe = this.ref(where).onSnapshot(
      (snap) => {
        const stop = StopSchema.safeParse(snap.data());
        if (!fired && stop.success && stop.data.upTo > updateId) {
          fired = true;
          op.log.info({ up_to: stop.data.upTo }, "stop requested; ending the generation");
          onStop();
        }
      },
      (err) => op.log.warn({ err }, "stop listener failed; the turn ends by its deadline"),
    );
    return unsubscribe;
  }
}
