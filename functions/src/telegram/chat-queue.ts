/**
 * One turn at a time per chat on this instance: turns for a chat run in arrival
 * order, different chats run concurrently. Hand-written (a map of promise tails)
 * because a keyed mutex library would still need the same cleanup of idle keys
 * and the same give-up-while-waiting; this is the whole mechanism. Across
 * instances, the claims and optimistic commits of the state layer keep
 * correctness.
 */
export class ChatQueue {
  private readonly tails = new Map<number, Promise<unknown>>();

  /**
   * Runs `task` after the chat's earlier tasks settle. If `signal` aborts while
   * the task is still waiting, the caller is answered at once with the signal's
   * reason and the task never runs (nothing was written for it).
   */
  run<T>(chatId: number, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.tails.get(chatId) ?? Promise.resolve();
    let begun = false;
    const start = () => {
      if (signal?.aborted) throw signal.reason;
      begun = true;
      return task();
    };
    const result = previous.then(start, start);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(chatId, tail);
    void tail.then(() => {
      if (this.tails.get(chatId) === tail) this.tails.delete(chatId);
    });
    if (!signal) return result;
    return new Promise<T>((resolve, reject) => {
      const abort = () => {
        if (!begun) reject(signal.reason);
      };
      signal.addEventListener("abort", abort, { once: true });
      result.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
    });
  }

  /** Chats with queued or running turns. */
  get active(): number {
    return this.tails.size;
  }
}
