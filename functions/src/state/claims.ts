import { randomUUID } from "node:crypto";
import { Timestamp, type WriteResult } from "@google-cloud/firestore";
import { LRUCache } from "lru-cache";
import type { Metrics } from "../observability/metrics.js";
import type { Deadline } from "../timeouts.js";
import type { Versioned } from "./cache.js";
import { FencedError, lostRace } from "./errors.js";
import type { DocIO, Writes } from "./firestore.js";
import type { Op } from "./op.js";
import { retrying } from "./retry.js";
import { type Claim, ClaimSchema } from "./schemas.js";

/**
 * The claim on one Telegram update, `updates/{updateId}`: the recovery point of
 * its turn (Stripe-style idempotency key). Every transition is one commit guarded
 * by one precondition; every write after the claim is fenced by the owner's token
 * plus the claim's update time (Kleppmann's fencing token), so an instance that
 * lost its claim changes nothing: its write fails, it logs a WARN and stops.
 *
 * | state       | meaning                                  | moved on by                                   | a delivery of the update that finds it |
 * |-------------|------------------------------------------|-----------------------------------------------|----------------------------------------|
 * | (absent)    | never seen                               | anyone: create → processing (with the user's  | creates it and runs the turn           |
 * |             |                                          | message), or → answered (commands, refusals)  |                                        |
 * | processing  | the owner runs the turn (lease)          | owner: → answered (reply stored), → released  | lease live: 503; lease over: takes over |
 * | released    | the owner gave up before a reply existed | anyone: → processing (take over)              | takes over at once, resumes the turn   |
 * | answered    | reply stored; the owner is sending it    | owner: → answered (+sent), → done,            | lease live: 503; lease over: takes     |
 * |             |                                          | → undelivered                                 | delivery over (at-least-once)          |
 * | undelivered | a send failed; reply stored, `sent` parts| anyone: → answered (take delivery over)       | takes over at once, sends part `sent`… |
 * |             | confirmed                                |                                               | without calling the model              |
 * | done        | the reply reached Telegram (or cannot)   | nobody                                        | 200, nothing else                      |
 *
 * What Telegram is told: 200 once a claim is done (or the reply is on its way from this
 * request), 503 while another owner holds a live lease or after a failed send (so it
 * redelivers), never a 200 that leaves an update unanswered.
 */

/** Proof of ownership: the owner's token and the claim's update time after our last write. */
export interface Fence {
  readonly updateId: number;
  readonly owner: string;
  readonly updateTime: Timestamp;
  readonly leaseUntil: Timestamp;
}

/** What a delivery of an update must do, given the claim it found. */
export type Seen =
  | { next: "claim" }
  | { next: "resume"; base: Versioned<Claim> }
  | { next: "deliver"; base: Versioned<Claim> }
  | { next: "in_flight"; claim: Claim }
  | { next: "done"; claim: Claim };

/**
 * The decision table above, as a pure function of the claim and the time.
 * `mine` is an owner token this instance wrote in a commit whose outcome it never
 * learned (a deadline in the middle of it): such a claim is ours to continue.
 */
export function decide(found: Versioned<Claim>, now: number, mine?: string): Seen {
  if (!found.exists) return { next: "claim" };
  const claim = found.value;
  if (!claim) return { next: "resume", base: found }; // corrupt: overwritten under its precondition
  const ours = mine !== undefined && claim.owner === mine;
  const leased = claim.leaseUntil.toMillis() > now && !ours;
  switch (claim.state) {
    case "done":
      return { next: "done", claim };
    case "released":
      return { next: "resume", base: found };
    case "undelivered":
      return { next: "deliver", base: found };
    case "processing":
      return leased ? { next: "in_flight", claim } : { next: "resume", base: found };
    case "answered":
      return leased ? { next: "in_flight", claim } : { next: "deliver", base: found };
  }
}

export interface ClaimOptions {
  /** How long claims are kept (a TTL policy on `expireAt` deletes them). */
  ttlMs: number;
}

export interface NewClaim {
  updateId: number;
  chatId: number | null;
  threadId?: number | undefined;
  replyTo?: number | undefined;
}

/** Extra writes that must commit atomically with a claim transition (a command's effect). */
export interface Effect {
  /** Called before each attempt; `n > 0` means the previous attempt lost a race: re-read. */
  prepare(n: number, op: Op): Promise<void>;
  write(writes: Writes): void;
  committed(results: WriteResult[]): void;
  failed(): void;
}

export class ClaimStore {
  /** Owner tokens of claim commits whose outcome this instance never learned. */
  private readonly ambiguous = new LRUCache<number, string>({ max: 1_000, ttl: 15 * 60_000 });

  constructor(
    private readonly io: DocIO,
    private readonly metrics: Metrics,
    private readonly options: ClaimOptions,
  ) {}

  ref(updateId: number) {
    return this.io.ref("updates", updateId);
  }

  async read(updateId: number, op: Op): Promise<Versioned<Claim>> {
    return (await this.io.get(this.ref(updateId), ClaimSchema, op)).doc;
  }

  parse(snap: FirebaseFirestore.DocumentSnapshot, op: Op): Versioned<Claim> {
    return this.io.parse(snap, ClaimSchema, op.log).doc;
  }

  /** A new owner token, or the one this instance used in an ambiguous commit for this update. */
  owner(updateId: number): string {
    return this.ambiguous.get(updateId) ?? randomUUID();
  }

  /** The owner token this instance may have committed (see `owner`), for `decide`. */
  remembered(updateId: number): string | undefined {
    return this.ambiguous.get(updateId);
  }

  /** Called when a commit carrying a claim write failed with an unknown outcome. */
  rememberAmbiguous(updateId: number, owner: string): void {
    this.ambiguous.set(updateId, owner);
  }

  forget(updateId: number): void {
    this.ambiguous.delete(updateId);
  }

  private fields(state: Claim["state"], owner: string, deadline: Deadline) {
    return { state, owner, leaseUntil: Timestamp.fromMillis(deadline.leaseUntil()) };
  }

  /**
   * Adds the write that makes `owner` the claim's owner in `state`: a create when
   * no claim exists (exactly one creator wins), else an update over `base` (a
   * takeover, which fails if anyone moved the claim since we read it).
   */
  writeOwnership(
    writes: Writes,
    input: NewClaim & { reply?: string | undefined },
    base: Versioned<Claim> | null,
    state: Claim["state"],
    owner: string,
    op: Op,
  ): number {
    const ref = this.ref(input.updateId);
    const fields: Record<string, unknown> = { ...this.fields(state, owner, op.deadline) };
    if (input.reply !== undefined) {
      fields.reply = input.reply;
      fields.sent = 0;
    }
    if (base?.exists && base.updateTime) {
      if (!base.value) {
        // A corrupt claim is replaced whole.
        return writes.update(ref, this.fullDoc(input, fields, op), { lastUpdateTime: base.updateTime });
      }
      return writes.update(ref, fields, { lastUpdateTime: base.updateTime });
    }
    return writes.create(ref, this.fullDoc(input, fields, op));
  }

  private fullDoc(input: NewClaim, fields: Record<string, unknown>, op: Op): Record<string, unknown> {
    return {
      updateId: input.updateId,
      chatId: input.chatId,
      threadId: input.threadId ?? null,
      replyTo: input.replyTo ?? null,
      reply: null,
      sent: 0,
      expireAt: Timestamp.fromMillis(op.deadline.clock.now() + this.options.ttlMs),
      ...fields,
    };
  }

  fenceAt(updateId: number, owner: string, updateTime: Timestamp, op: Op): Fence {
    return { updateId, owner, updateTime, leaseUntil: Timestamp.fromMillis(op.deadline.leaseUntil()) };
  }

  /**
   * Creates the claim already answered, with the reply to deliver and an optional
   * effect (reset, undo, skill) in the same commit: a command or a refusal. A
   * transient failure writes nothing, so the redelivery completes it; a lost
   * create means the update was seen before: the caller follows `decide`.
   */
  async openAnswered(
    input: NewClaim & { reply: string | (() => string) },
    op: Op,
    effect?: Effect,
  ): Promise<{ opened: Fence; reply: string } | { seen: Seen }> {
    const owner = this.owner(input.updateId);
    let base: Versioned<Claim> | null = null;
    return retrying("answer command", op, this.metrics, async (n) => {
      if (n > 0) {
        base = await this.read(input.updateId, op);
        const seen = decide(base, op.deadline.clock.now(), this.remembered(input.updateId));
        if (seen.next === "deliver" || seen.next === "in_flight" || seen.next === "done") return { seen };
        // "claim": the race was on the effect's document; "resume": a corrupt or released claim.
      }
      await effect?.prepare(n, op);
      // The answer may depend on what the effect found (e.g. "nothing to undo").
      const reply = typeof input.reply === "function" ? input.reply() : input.reply;
      let at = 0;
      try {
        const results = await this.io.commit(op, (writes) => {
          at = this.writeOwnership(
            writes,
            { ...input, reply },
            base?.exists ? base : null,
            "answered",
            owner,
            op,
          );
          effect?.write(writes);
        });
        effect?.committed(results);
        this.forget(input.updateId);
        return { opened: this.fenceAt(input.updateId, owner, results[at]!.writeTime, op), reply };
      } catch (err) {
        effect?.failed();
        if (!lostRace(err)) this.rememberAmbiguous(input.updateId, owner);
        throw err;
      }
    });
  }

  /** Takes over a claim found by `decide` (resume or deliver), under its precondition. */
  async takeOver(
    base: Versioned<Claim>,
    state: "processing" | "answered",
    input: NewClaim,
    op: Op,
  ): Promise<Fence | null> {
    const owner = this.owner(input.updateId);
    try {
      const results = await this.io.commit(op, (writes) =>
        this.writeOwnership(writes, input, base, state, owner, op),
      );
      this.forget(input.updateId);
      op.log.warn(
        { previous_owner: base.value?.owner, from: base.value?.state, to: state },
        "claim taken over",
      );
      return this.fenceAt(input.updateId, owner, results[0]!.writeTime, op);
    } catch (err) {
      if (lostRace(err)) return null; // someone else moved it first: read again
      this.rememberAmbiguous(input.updateId, owner);
      throw err;
    }
  }

  /**
   * One fenced transition: `fields` are written to the claim only if it is still
   * exactly as our last write left it. After a commit with an unknown outcome the
   * claim is re-read: still ours with a newer update time means our write landed
   * (nobody else writes our token); anyone else's token means we were fenced.
   */
  async advance(fence: Fence, fields: Partial<Claim>, op: Op): Promise<Fence> {
    const ref = this.ref(fence.updateId);
    let current = fence;
    return retrying(`claim ${fields.state ?? "progress"}`, op, this.metrics, async (n) => {
      if (n > 0) {
        const found = await this.read(fence.updateId, op);
        current = this.check(fence, found, op);
        const landed =
          !current.updateTime.isEqual(fence.updateTime) &&
          (fields.state === undefined || found.value!.state === fields.state) &&
          (fields.sent === undefined || found.value!.sent === fields.sent);
        if (landed) return current;
      }
      const results = await this.io.commit(op, (writes) =>
        writes.update(ref, { ...fields, owner: fence.owner }, { lastUpdateTime: current.updateTime }),
      );
      return { ...current, updateTime: results[0]!.writeTime };
    });
  }

  /**
   * Whether `found` is still ours (see `advance`): returns the fence at the found
   * update time, or throws FencedError after logging it at WARN.
   */
  check(fence: Fence, found: Versioned<Claim>, op: Op): Fence {
    const claim = found.value;
    if (!claim || claim.owner !== fence.owner || !found.updateTime) {
      this.metrics.inc("claims_fenced");
      op.log.warn(
        { owner: fence.owner, now_owner: claim?.owner ?? null, state: claim?.state ?? null },
        "claim lost to another owner; stopping without writing or sending",
      );
      throw new FencedError(fence.updateId, claim?.state ?? null);
    }
    return { ...fence, updateTime: found.updateTime };
  }

  /** processing → released: a redelivery resumes the turn at once instead of after the lease. */
  async release(fence: Fence, op: Op): Promise<void> {
    await this.advance(fence, { state: "released" }, op);
    this.metrics.inc("claims_released");
    op.log.warn("claim released; a redelivery resumes the turn");
  }
}
