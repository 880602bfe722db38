import { MediaError } from "./errors.js";

/**
 * A weighted counting semaphore, first come first served, whose waiters each leave at their own
 * deadline. It bounds how much media is held in memory at once, whatever the number of
 * concurrent turns (Cloud Functions sends up to 80 requests to one instance): with weight 1, how
 * many downloads and preparations hold a whole file; weighted by characters, how much media the
 * model requests in flight carry.
 *
 * Hand-rolled (a few lines): async-mutex's Semaphore and p-limit cannot drop one waiter on its
 * own AbortSignal (only cancel all), and a turn past its deadline must not hold a place.
 * Strict arrival order: a heavy waiter at the head is not overtaken by light ones behind it, so
 * it cannot starve.
 */
export class Gate {
  private used = 0;
  private readonly queue: Array<{ weight: number; start: () => void }> = [];

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError("capacity must be at least 1");
  }

  /**
   * Runs `task` once `weight` fits (a weight over the capacity is taken as the whole capacity:
   * it runs alone); gives up waiting (not running) when `signal` aborts. `onWait` is told,
   * before the wait, when the task has to queue.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal, weight = 1, onWait?: () => void): Promise<T> {
    const w = Math.min(Math.max(weight, 0), this.capacity);
    await this.enter(w, signal, onWait);
    try {
      return await task();
    } finally {
      this.leave(w);
    }
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** The weight taken by running tasks (their number, when every weight is 1). */
  get running(): number {
    return this.used;
  }

  private fits(weight: number): boolean {
    return this.used + weight <= this.capacity;
  }

  private enter(weight: number, signal: AbortSignal | undefined, onWait?: () => void): Promise<void> {
    const timeout = () =>
      new MediaError("timeout", "deadline reached while waiting to fetch media", { stage: "queue" });
    if (signal?.aborted) return Promise.reject(timeout());
    // Weight 0 (a turn without media) takes nothing, so it holds no one back and never waits.
    if (weight === 0 || (this.queue.length === 0 && this.fits(weight))) {
      this.used += weight;
      return Promise.resolve();
    }
    onWait?.();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(timeout());
        // The head may have been what held the others back.
        this.admit();
      };
      const waiter = {
        weight,
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          this.used += weight;
          resolve();
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private leave(weight: number): void {
    this.used -= weight;
    this.admit();
  }

  private admit(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!.weight)) this.queue.shift()!.start();
  }
}
