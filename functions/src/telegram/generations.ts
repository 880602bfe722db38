import { conversationId, type Where } from "../state/conversations.js";

/** Why a generation ended early: the user asked it to stop. */
export class StoppedByUser extends Error {
  override readonly name = "StoppedByUser";
}

/**
 * The turns this instance is generating, by conversation: a /stop that reaches
 * this instance ends them at once, without waiting for Firestore (other
 * instances learn of it through stops/{conversation}, see state/stops.ts).
 */
export class Generations {
  private readonly running = new Map<string, Map<number, AbortController>>();

  /** Registers a generation; `signal` aborts when it is stopped. Call `end()` when it is over. */
  start(where: Where, updateId: number): { signal: AbortSignal; end(): void } {
    const key = conversationId(where);
    const controller = new AbortController();
    let turns = this.running.get(key);
    if (!turns) {
      turns = new Map();
      this.running.set(key, turns);
    }
    turns.set(updateId, controller);
    return {
      signal: controller.signal,
      end: () => {
        turns.delete(updateId);
        if (turns.size === 0 && this.running.get(key) === turns) this.running.delete(key);
      },
    };
  }

  /** Stops this instance's generations in the conversation with an update id below `upTo`. */
  stop(where: Where, upTo: number): number {
    let stopped = 0;
    for (const [updateId, controller] of this.running.get(conversationId(where)) ?? []) {
      if (updateId < upTo && !controller.signal.aborted) {
        controller.abort(new StoppedByUser("stopped by the user"));
        stopped++;
      }
    }
    return stopped;
  }
}
