/**
 * One turn at a time per chat on this instance: turns for a chat run in arrival
 * order, different chats run concurrently. Hand-written (a map of promise tails)
 * because a keyed mutex library would still need the same cleanup of idle keys;
 * this is the whole mechanism. Across instances, the state layer's optimistic
 * commits keep correctness.
 */
export class ChatQueue {
  private readonly tails = new Map<number, Promise<unknown>>();

  run<T>(chatId: number, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(chatId) ?? Promise.resolve();
    // The next task starts after the previous one settles, whatever its outcome.
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(chatId, tail);
    void tail.then(() => {
      if (this.tails.get(chatId) === tail) this.tails.delete(chatId);
    });
    return result;
  }

  /** Chats with queued or running turns. */
  get active(): number {
    return this.tails.size;
  }
}
