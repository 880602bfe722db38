import { LRUCache } from "lru-cache";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { type Clock, Deadline } from "../timeouts.js";
import type { BackgroundJobs } from "./background.js";
import type { ClaimStore, Fence } from "./claims.js";
import { FencedError } from "./errors.js";
import type { DocIO, Writes } from "./firestore.js";
import type { Op } from "./op.js";
import { retrying } from "./retry.js";

/** How long a delivered claim may wait for its receipt; batches the receipts of busy instances. */
export const RECEIPT_FLUSH_MS = 250;
const FLUSH_BUDGET_MS = 30_000;

interface Receipt {
  fence: Fence;
  sent: number;
  /** When it was added (clock ms): each receipt gets its whole window to ride. */
  at: number;
  /** Rode on another commit that failed: flushed on its own from now on. */
  alone?: boolean;
}

/**
 * Delivery receipts (answered → done), written off the request's path.
 *
 * A receipt matters only to a redelivery: Telegram redelivers an update only when
 * our answer did not reach it. So the webhook answers as soon as the reply is
 * sent, and the receipt rides on the next answer commit this instance makes (the
 * reply of a turn in any chat; not the claim commit, which is on the way to the
 * model's first token), or is flushed with the others RECEIPT_FLUSH_MS later (and
 * on shutdown): two round trips per turn instead of three on a busy instance. Until a receipt lands
 * the claim reads "answered, lease live", so a redelivery in that window gets 503
 * and comes back; it never re-sends. Only if the instance dies in that window and
 * Telegram also lost our 200 is the stored reply sent again after the lease:
 * at-least-once, as for any delivery whose outcome is unknown.
 *
 * Each receipt is fenced like every other claim write: it lands only if the claim
 * is still exactly as our last write left it.
 */
export class Receipts {
  private pending: Receipt[] = [];
  /** Updates delivered by this instance whose receipt has not landed yet (pending, riding or flushing). */
  private readonly delivered = new LRUCache<number, true>({ max: 10_000 });
  private scheduled = false;
  /** The flushes under way (never rejects: a receipt that cannot land is logged). */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly io: DocIO,
    private readonly claims: ClaimStore,
    private readonly deps: { metrics: Metrics; log: Logger; clock: Clock; background: BackgroundJobs },
  ) {}

  /** The reply under `fence` is delivered (all `sent` parts): mark the claim done soon. */
  add(fence: Fence, sent: number, alone = false): void {
    this.pending.push({ fence, sent, alone, at: this.deps.clock.now() });
    this.delivered.set(fence.updateId, true);
    if (!this.scheduled) this.schedule(RECEIPT_FLUSH_MS);
  }

  /**
   * One timer for all pending receipts, due when the oldest has waited RECEIPT_FLUSH_MS: if
   * the receipts it was set for rode on a commit meanwhile, it waits for the oldest left
   * rather than flushing a receipt that has just been added (which could still ride).
   */
  private schedule(ms: number): void {
    this.scheduled = true;
    this.deps.clock.schedule(ms, () => {
      this.scheduled = false;
      if (this.pending.length === 0) return;
      const oldest = this.pending.reduce((at, r) => Math.min(at, r.at), Number.POSITIVE_INFINITY);
      const waited = this.deps.clock.now() - oldest;
      if (waited < RECEIPT_FLUSH_MS) return void this.schedule(RECEIPT_FLUSH_MS - waited);
      void this.deps.background.run("delivery receipts", () => this.flush());
    });
  }

  get size(): number {
    return this.pending.length;
  }

  /**
   * Hands the pending receipts to a commit that is about to be made (see
   * `write`); if that commit fails, `requeue` them. Receipts that already failed
   * to ride once are left for the flush, so one stale receipt cannot keep
   * failing other users' commits.
   */
  ride(except: number): Receipt[] {
    // A commit may write a document once: the update being claimed keeps its receipt back.
    const rides = (r: Receipt) => !r.alone && r.fence.updateId !== except;
    const riders = this.pending.filter(rides);
    this.pending = this.pending.filter((r) => !rides(r));
    return riders;
  }

  /** Adds the writes of `riders` to a commit. */
  write(writes: Writes, riders: readonly Receipt[]): void {
    for (const { fence, sent } of riders) {
      writes.update(
        this.claims.ref(fence.updateId),
        { state: "done", sent, owner: fence.owner },
        { lastUpdateTime: fence.updateTime },
      );
    }
  }

  /** The commit `riders` rode on landed: so did they. */
  landed(riders: readonly Receipt[]): void {
    for (const r of riders) this.delivered.delete(r.fence.updateId);
  }

  /** The commit `riders` rode on failed: they are flushed on their own. */
  requeue(riders: readonly Receipt[]): void {
    for (const r of riders) this.add(r.fence, r.sent, true);
  }

  /** Whether this instance delivered the update and its receipt is still on the way. */
  has(updateId: number): boolean {
    return this.delivered.has(updateId);
  }

  /**
   * Commits every pending receipt (one commit for all; one by one if a claim moved).
   * Resolves once every receipt added before the call has settled, also those a flush
   * already under way (the timer's) took.
   */
  flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const earlier = this.flushing;
    const settled = Promise.all([earlier, batch.length > 0 ? this.commit(batch) : undefined]).then(() => {});
    this.flushing = settled;
    return settled;
  }

  private async commit(batch: Receipt[]): Promise<void> {
    const op: Op = { log: this.deps.log, deadline: Deadline.after(this.deps.clock, FLUSH_BUDGET_MS) };
    try {
      await retrying("delivery receipts", op, this.deps.metrics, () =>
        this.io.commit(op, (writes) => this.write(writes, batch)),
      );
      this.landed(batch);
    } catch (err) {
      // A claim in the batch moved (someone took its delivery over), or Firestore kept
      // failing: settle each receipt on its own, so one cannot hold up the others.
      this.deps.log.warn(
        { err, receipts: batch.length },
        "delivery receipts batch failed; settling one by one",
      );
      await Promise.all(batch.map((r) => this.settle(r, op)));
    }
  }

  private async settle({ fence, sent }: Receipt, op: Op): Promise<void> {
    try {
      const log = op.log.child({ update_id: fence.updateId });
      await this.claims.advance(fence, { state: "done", sent }, { ...op, log });
      this.delivered.delete(fence.updateId);
    } catch (err) {
      if (err instanceof FencedError) {
        this.delivered.delete(fence.updateId); // someone else delivers it now; nothing to mark
        return;
      }
      this.deps.log.warn(
        { err, update_id: fence.updateId },
        "delivery receipt not written; a redelivery may re-send",
      );
    }
  }
}
