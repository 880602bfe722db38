import { Timestamp } from "@google-cloud/firestore";
import type { Metrics } from "../observability/metrics.js";
import type { Versioned } from "./cache.js";
import { type ClaimStore, decide, type Fence, type NewClaim } from "./claims.js";
import type { ConversationStore, Where } from "./conversations.js";
import { lostRace, StoreError } from "./errors.js";
import type { DocIO } from "./firestore.js";
import { capTurns, type HistoryLimits, insertTurn } from "./history.js";
import type { Op } from "./op.js";
import type { Receipts } from "./receipts.js";
import { retrying } from "./retry.js";
import type { Block, Claim, Conversation, StoredMessage, Turn, Usage } from "./schemas.js";
import type { SessionStore } from "./sessions.js";

export const RATE_WINDOW_MS = 60_000;

export interface BeginTurnInput extends NewClaim {
  chatId: number;
  /** Who speaks: a user id, or a sender chat's id (anonymous admins, channels). */
  userId: number;
  user: Block[];
  /** Accepted messages per user per minute in this chat; 0 disables. */
  ratePerMinute: number;
}

export type Begin =
  /** Ours to run: the user's message is durable and the claim is processing under our fence. */
  | { kind: "started"; fence: Fence; conversation: Versioned<Conversation>; turn: Turn; resumed: boolean }
  /** A stored reply whose delivery we took over: send it from part `claim.sent`, no model call. */
  | { kind: "deliver"; fence: Fence; claim: Claim }
  /** Another owner holds a live lease: Telegram is asked to try again later (503). */
  | { kind: "in_flight" }
  /** Already answered and delivered: 200, nothing else. */
  | { kind: "done" }
  /** Over the per-user rate limit: nothing was written. */
  | { kind: "rate_limited"; retryAfterSec: number };

export interface AnswerInput {
  chatId: number;
  threadId?: number | undefined;
  userId: number;
  updateId: number;
  /** Agent messages to keep on the turn (empty for a failed turn). */
  reply: StoredMessage[];
  status: "done" | "failed" | "dropped";
  /** What the user is shown (Markdown): stored on the claim before the first send. */
  text: string;
  usage?: Partial<Usage> | undefined;
}

const lost = () => new StoreError("precondition", "claim moved while taking it over");

/**
 * A text turn's commits, each one round trip:
 *  - begin: create the claim (processing) and store the user's message, atomically;
 *  - answer: store the reply on the turn, the text to send on the claim (answered)
 *    and the user's usage, fenced by the claim; earlier turns' delivery receipts ride on it.
 * Delivery (answered → done / undelivered) follows in telegram/deliver.ts.
 */
export class TurnStore {
  constructor(
    private readonly io: DocIO,
    private readonly claims: ClaimStore,
    private readonly conversations: ConversationStore,
    private readonly sessions: SessionStore,
    private readonly receipts: Receipts,
    private readonly metrics: Metrics,
    private readonly options: { limits: HistoryLimits; now: () => number },
  ) {}

  /** Reads the claim and the conversation together (after a lost race); the latter becomes the L1 base. */
  private async readBoth(updateId: number, where: Where, op: Op) {
    const [claimSnap, convSnap] = await this.io.getAll(
      [this.claims.ref(updateId), this.conversations.ref(where)],
      op,
    );
    return {
      claim: this.claims.parse(claimSnap!, op),
      conversation: this.conversations.fresh(where, convSnap!, op),
    };
  }

  /**
   * Claims the update and makes the user's message durable, in one commit. Exactly
   * one caller, on any instance, gets "started" for an update; the others learn
   * from the claim what is left to do (see the table in claims.ts).
   */
  async begin(input: BeginTurnInput, op: Op): Promise<Begin> {
    const { chatId, updateId } = input;
    const where = { chatId, threadId: input.threadId };
    const owner = this.claims.owner(updateId);
    let base = await this.conversations.load(where, op);
    let claimBase: Versioned<Claim> | null = null; // null: we believe no claim exists
    let checked = false;

    const follow = async (found: Versioned<Claim>): Promise<Begin | null> => {
      const seen = decide(found, this.options.now(), this.claims.remembered(updateId));
      switch (seen.next) {
        case "done":
          return { kind: "done" };
        case "in_flight":
          return { kind: "in_flight" };
        case "deliver": {
          const fence = await this.claims.takeOver(seen.base, "answered", input, op);
          if (!fence) throw lost();
          return { kind: "deliver", fence, claim: seen.base.value! };
        }
        case "resume":
          claimBase = seen.base;
          return null;
        case "claim":
          claimBase = null;
          return null;
      }
    };

    return retrying("begin turn", op, this.metrics, async (n) => {
      if (n > 0) {
        const fresh = await this.readBoth(updateId, where, op);
        base = fresh.conversation;
        checked = true;
        const settled = await follow(fresh.claim);
        if (settled) return settled;
      }
      const current = base.value ?? this.conversations.empty(where);
      const existing = current.turns.find((t) => t.updateId === updateId);
      const now = this.options.now();
      const recent = (current.rate[input.userId] ?? []).filter((t) => t > now - RATE_WINDOW_MS);
      if (!existing && input.ratePerMinute > 0 && recent.length >= input.ratePerMinute) {
        // A redelivery of an update we already took is not a new message: ask the claim first.
        if (!checked) {
          checked = true;
          const settled = await follow(await this.claims.read(updateId, op));
          if (settled) return settled;
        }
        if (claimBase === null) {
          return {
            kind: "rate_limited",
            retryAfterSec: Math.ceil((recent[0]! + RATE_WINDOW_MS - now) / 1000),
          };
        }
      }

      const turn: Turn = existing ?? {
        updateId,
        userId: input.userId,
        at: Timestamp.fromMillis(now),
        user: input.user,
        reply: [],
        status: "pending",
      };
      let next: Conversation | null = null;
      // A message older than what was already trimmed (delivered late) is answered
      // (historyFor) but not stored: the stored history stays the newest turns. It is not
      // lost either way: until the update is answered, Telegram delivers it again.
      if (!existing && updateId > current.trimmedThrough) {
        const capped = capTurns(insertTurn(current.turns, turn), this.options.limits);
        next = {
          ...this.conversations.empty(where),
          turns: capped.turns,
          version: current.version + 1,
          updatedAt: Timestamp.fromMillis(now),
          rate: { ...pruneRate(current.rate, now), [input.userId]: [...recent, now] },
          trimmedThrough: Math.max(current.trimmedThrough, capped.trimmedThrough),
        };
      }
      let claimAt = 0;
      let convAt = -1;
      // Claim and message only: this commit is on the way to the model's first token (and
      // the first draft); earlier turns' delivery receipts ride on answer commits instead.
      try {
        const results = await this.io.commit(op, (writes) => {
          claimAt = this.claims.writeOwnership(writes, input, claimBase, "processing", owner, op);
          if (next) convAt = this.conversations.write(writes, where, base, next);
        });
        this.claims.forget(updateId);
        const conversation = next ? this.conversations.committed(where, next, results[convAt]!) : base;
        const stored = conversation.value!.turns.find((t) => t.updateId === updateId) ?? turn;
        if (existing) op.log.warn("resuming a turn whose user message was already stored");
        return {
          kind: "started",
          fence: this.claims.fenceAt(updateId, owner, results[claimAt]!.writeTime, op),
          conversation,
          turn: stored as Turn,
          resumed: existing !== undefined,
        };
      } catch (err) {
        this.conversations.dropped(where);
        // Unknown outcome (e.g. out of time): the claim may exist with our token. Remember it,
        // so this instance's redelivery resumes instead of waiting out its own lease.
        if (!lostRace(err)) this.claims.rememberAmbiguous(updateId, owner);
        throw err;
      }
    });
  }

  /**
   * Stores the agent's reply on its turn, the text to deliver on the claim
   * (processing → answered) and the user's usage, in one commit fenced by the
   * claim. If the turn is gone (the chat was reset while the model worked), only
   * the claim and usage are written. Usage is added exactly once: after a commit
   * with an unknown outcome, the claim tells whether it landed. Usage and spend are
   * server-side increments on the user's session (state/spend.ts), also applied to L1.
   */
  async answer(fence: Fence, input: AnswerInput, op: Op): Promise<Fence> {
    const { chatId, updateId } = input;
    const where = { chatId, threadId: input.threadId };
    let base = await this.conversations.load(where, op);
    let current = fence;
    const charge = this.sessions.charge(input.userId, input.usage);
    return retrying("store reply", op, this.metrics, async (n) => {
      if (n > 0) {
        const fresh = await this.readBoth(updateId, where, op);
        base = fresh.conversation;
        current = this.claims.check(fence, fresh.claim, op);
        if (!current.updateTime.isEqual(fence.updateTime)) return current; // our earlier attempt landed
      }
      const conv = base.value ?? this.conversations.empty(where);
      let next: Conversation | null = null;
      if (conv.turns.some((t) => t.updateId === updateId)) {
        const turns = conv.turns.map((t) =>
          t.updateId === updateId ? { ...t, reply: input.reply, status: input.status } : t,
        );
        const capped = capTurns(turns as Turn[], this.options.limits);
        next = {
          ...conv,
          turns: capped.turns,
          version: conv.version + 1,
          updatedAt: Timestamp.fromMillis(this.options.now()),
          trimmedThrough: Math.max(conv.trimmedThrough, capped.trimmedThrough),
        } as Conversation;
      }
      let claimAt = 0;
      let convAt = -1;
      let sessionAt = 0;
      // Delivery receipts of earlier turns (any chat) ride along (state/receipts.ts): no extra
      // round trip, and none on the path to the model.
      const riders = this.receipts.ride(updateId);
      try {
        const results = await this.io.commit(op, (writes) => {
          claimAt = writes.update(
            this.claims.ref(updateId),
            { state: "answered", owner: fence.owner, reply: input.text, sent: 0 },
            { lastUpdateTime: current.updateTime },
          );
          if (next) convAt = this.conversations.write(writes, where, base, next);
          sessionAt = charge.write(writes);
          this.receipts.write(writes, riders);
        });
        this.receipts.landed(riders);
        if (next) this.conversations.committed(where, next, results[convAt]!);
        charge.committed(results[sessionAt]!);
        return { ...current, updateTime: results[claimAt]!.writeTime };
      } catch (err) {
        this.conversations.dropped(where);
        this.receipts.requeue(riders);
        if (!lostRace(err)) charge.failed(); // a lost race applied nothing: L1's copy still holds
        throw err;
      }
    });
  }
}

function pruneRate(rate: Conversation["rate"], now: number): Conversation["rate"] {
  const out: Conversation["rate"] = {};
  for (const [user, times] of Object.entries(rate)) {
    const recent = times.filter((t) => t > now - RATE_WINDOW_MS);
    if (recent.length > 0) out[user] = recent;
  }
  return out;
}
