import { randomUUID } from "node:crypto";
import { FieldPath, FieldValue, Timestamp } from "@google-cloud/firestore";
import { LRUCache } from "lru-cache";
import type { Logger } from "../observability/logger.js";
import type { Tally } from "../observability/turn-stats.js";
import { TURN_DEADLINE_MS } from "../timeouts.js";
import type { L1Cache, Versioned } from "./cache.js";
import { StoreError } from "./errors.js";
import { casWrite, type DocIO } from "./firestore.js";
import { capTurns, type HistoryLimits, historyBytes, insertTurn } from "./history.js";
import {
  type Block,
  type Claim,
  ClaimSchema,
  type Conversation,
  ConversationSchema,
  type StoredMessage,
  type Turn,
  type Usage,
} from "./schemas.js";

export interface ConversationOptions {
  limits: HistoryLimits;
  /** How long a claimed update belongs to the instance working on it (> the function timeout). */
  leaseMs: number;
  /** How long dedupe claims are kept (a TTL policy on `expireAt` deletes them). */
  claimTtlMs: number;
  /** Optimistic attempts before giving up on a hot document. */
  maxAttempts: number;
  /**
   * How long a redelivery waits for the same update's turn running on another
   * instance (then 503, so Telegram retries later). Below the function timeout.
   */
  inFlightWaitMs?: number;
  /** Poll interval while waiting for a turn in flight elsewhere. */
  inFlightPollMs?: number;
  now?: () => number;
}

export type BeginTurnResult =
  | { kind: "started"; conversation: Versioned<Conversation>; turn: Turn; resumed: boolean }
  /** The reply was stored by an instance that died before (or while) sending it: send it, no model call. */
  | { kind: "resend"; turn: Turn | null }
  | { kind: "duplicate"; reason: "in_flight" | "done" }
  | { kind: "rate_limited"; retryAfterSec: number };

export interface BeginTurnInput {
  chatId: number;
  userId: number;
  updateId: number;
  user: Block[];
  /** Accepted messages per user per minute in this chat; 0 disables. */
  ratePerMinute: number;
}

export interface CompleteTurnInput {
  chatId: number;
  userId: number;
  updateId: number;
  reply: StoredMessage[];
  status: "done" | "failed";
  usage?: Partial<Usage> | undefined;
}

const RATE_WINDOW_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Conversation history and the per-update claim.
 *
 * Every write is one atomic commit guarded by a precondition on the document as
 * we last saw it (`lastUpdateTime`, or `create` when absent): an optimistic
 * transaction whose read set comes from L1 when warm (0 reads) and from one
 * `getAll` after a lost race. The commit returns the new update time, so L1 is
 * written only with what Firestore accepted, and stays a valid base for the next
 * write. The dedupe claim `updates/{updateId}` is created in the same commit as
 * the user's message: one round trip makes the message durable and the update
 * ours, or fails as a whole.
 */
export class ConversationStore {
  private readonly now: () => number;
  /** Owner tokens of claims whose commit outcome this instance never learned. */
  private readonly ambiguousClaims = new LRUCache<number, string>({ max: 1_000, ttl: 15 * 60_000 });

  constructor(
    private readonly io: DocIO,
    private readonly cache: L1Cache,
    private readonly options: ConversationOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  private key(chatId: number): string {
    return `conversations/${chatId}`;
  }

  /** The conversation for a chat: L1 when warm, one read (shared by concurrent callers) when not. */
  load(chatId: number, tally?: Tally): Promise<Versioned<Conversation>> {
    return this.cache.load(this.key(chatId), () =>
      this.io.get(this.io.ref("conversations", chatId), ConversationSchema, tally),
    );
  }

  /** Fills L1 from a snapshot read elsewhere (warm-up). */
  prime(chatId: number, doc: Versioned<Conversation>, bytes: number): void {
    this.cache.set(this.key(chatId), doc, bytes);
  }

  private empty(chatId: number): Conversation {
    return { chatId, turns: [], version: 0, updatedAt: Timestamp.fromMillis(this.now()), rate: {} };
  }

  private async readFresh(chatId: number, updateId: number, tally: Tally | undefined) {
    const [claimSnap, convSnap] = await this.io.getAll(
      [this.io.ref("updates", updateId), this.io.ref("conversations", chatId)],
      tally,
    );
    const claim = this.io.parse(claimSnap!, ClaimSchema).doc;
    const conv = this.io.parse(convSnap!, ConversationSchema);
    this.cache.set(this.key(chatId), conv.doc, conv.bytes);
    return { claim, conv: conv.doc };
  }

  /**
   * Commits `next` over `base` (plus extra writes) atomically; on success L1 gets
   * exactly what was committed. Returns false when the optimistic precondition
   * lost a race (L1 dropped; the caller re-reads), throws a StoreError otherwise.
   */
  private async commitConversation(
    chatId: number,
    base: Versioned<Conversation>,
    next: Conversation | null,
    extra: (batch: FirebaseFirestore.WriteBatch) => void,
    tally?: Tally,
  ): Promise<Versioned<Conversation> | false> {
    const ref = this.io.ref("conversations", chatId);
    try {
      const results = await this.io.commit((batch) => {
        extra(batch);
        if (next) writeConversation(batch, ref, base, next);
      }, tally);
      if (!next) return base;
      const doc: Versioned<Conversation> = {
        value: next,
        updateTime: results.at(-1)!.writeTime,
        exists: true,
      };
      return this.cache.set(this.key(chatId), doc, historyBytes(next.turns));
    } catch (err) {
      // The write failed or lost a race: L1 must not keep a base Firestore may have moved past.
      this.cache.delete(this.key(chatId));
      if (err instanceof StoreError && err.kind === "precondition") {
        this.io.deps.metrics.inc("tx_conflicts");
        return false;
      }
      throw err;
    }
  }

  /**
   * Waits for a turn in flight on another instance: "answered" once its claim
   * says so, "expired" when its lease runs out (that instance is gone). Past
   * inFlightWaitMs a transient error makes the webhook answer 503.
   */
  private async awaitInFlight(
    updateId: number,
    leaseUntil: number,
    tally?: Tally,
  ): Promise<"answered" | "expired"> {
    const giveUpAt = this.now() + (this.options.inFlightWaitMs ?? TURN_DEADLINE_MS);
    const ref = this.io.ref("updates", updateId);
    let until = leaseUntil;
    while (this.now() < until) {
      if (this.now() >= giveUpAt) {
        throw new StoreError("unavailable", `update ${updateId} is still in flight elsewhere`, {
          transient: true,
        });
      }
      await sleep(Math.min(this.options.inFlightPollMs ?? 500, Math.max(1, until - this.now())));
      const claim = (await this.io.get(ref, ClaimSchema, tally)).doc.value;
      if (!claim) return "expired";
      if (claim.status !== "processing") return "answered";
      until = claim.leaseUntil.toMillis();
    }
    return "expired";
  }

  private backoff(attempt: number): Promise<void> {
    const cap = Math.min(1_000, 20 * 2 ** attempt);
    return sleep(Math.random() * cap);
  }

  private claimDoc(chatId: number, updateId: number, status: Claim["status"], owner: string): Claim {
    const now = this.now();
    return {
      updateId,
      chatId,
      owner,
      status,
      leaseUntil: Timestamp.fromMillis(now + this.options.leaseMs),
      expireAt: Timestamp.fromMillis(now + this.options.claimTtlMs),
    };
  }

  /**
   * Claims the update and makes the user's message durable, in one commit.
   * Exactly one caller, on any instance, gets "started" for an update id; the
   * others get "duplicate" while the winner holds the lease. A claim whose lease
   * ran out (its instance died) is taken over and the turn resumed.
   */
  async beginTurn(input: BeginTurnInput, log: Logger, tally?: Tally): Promise<BeginTurnResult> {
    const { chatId, updateId } = input;
    const claimRef = this.io.ref("updates", updateId);
    // Per call, not per process: a second delivery handled by this same process is
    // still a duplicate; only our own earlier (ambiguous) commit is recognised as ours,
    // including one from an earlier delivery whose commit outcome we never learned.
    const owner = this.ambiguousClaims.get(updateId) ?? randomUUID();
    let base = await this.load(chatId, tally);
    let claimBase: Versioned<Claim> | null = null; // null: we believe no claim exists

    for (let attempt = 0; attempt < this.options.maxAttempts; attempt++) {
      if (attempt > 0) {
        await this.backoff(attempt);
        const fresh = await this.readFresh(chatId, updateId, tally);
        base = fresh.conv;
        claimBase = fresh.claim.exists ? fresh.claim : null;
        const claim = fresh.claim.value;
        if (claim && claim.owner !== owner) {
          if (claim.status === "done") return { kind: "duplicate", reason: "done" };
          if (claim.leaseUntil.toMillis() > this.now()) {
            if (claim.status === "answered") return { kind: "duplicate", reason: "in_flight" };
            // Answering 200 now would be a promise that someone answers this update;
            // wait until the turn elsewhere is answered, or its instance is gone.
            if ((await this.awaitInFlight(updateId, claim.leaseUntil.toMillis(), tally)) === "answered") {
              return { kind: "duplicate", reason: "in_flight" };
            }
            continue; // lease expired: take the turn over
          }
          if (claim.status === "answered") {
            // Take the claim over first, so only one redelivery re-sends.
            const ok = await this.commitClaimOnly(
              claimRef,
              fresh.claim,
              this.claimDoc(chatId, updateId, "done", owner),
              tally,
            );
            if (!ok) continue;
            log.warn({ previous_owner: claim.owner }, "reply stored but maybe not sent; re-sending it");
            const turn = fresh.conv.value?.turns.find((t) => t.updateId === updateId) ?? null;
            return { kind: "resend", turn: turn as Turn | null };
          }
          log.warn({ previous_owner: claim.owner }, "claim lease expired; resuming the turn");
        } else if (fresh.claim.exists && !claim) {
          claimBase = fresh.claim; // corrupt claim: overwrite it under its precondition
        }
      }
      const current = base.value ?? this.empty(chatId);
      const existing = current.turns.find((t) => t.updateId === updateId);
      const now = this.now();
      const recent = (current.rate[input.userId] ?? []).filter((t) => t > now - RATE_WINDOW_MS);

      if (!existing) {
        if (input.ratePerMinute > 0 && recent.length >= input.ratePerMinute) {
          // Claim it anyway (done), so a redelivery does not answer twice.
          const ok = await this.commitClaimOnly(
            claimRef,
            claimBase,
            this.claimDoc(chatId, updateId, "done", owner),
            tally,
          );
          if (!ok) continue;
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
      if (!existing) {
        // A turn older than the whole window is trimmed at once: it is still answered
        // (historyFor), and Telegram holds the update until we answer.
        const capped = capTurns(insertTurn(current.turns, turn), this.options.limits);
        next = {
          chatId,
          turns: capped.turns,
          version: current.version + 1,
          updatedAt: Timestamp.fromMillis(now),
          rate: { ...pruneRate(current.rate, now), [input.userId]: [...recent, now] },
        };
      }
      const claim = this.claimDoc(chatId, updateId, "processing", owner);
      let committed: Versioned<Conversation> | false;
      try {
        committed = await this.commitConversation(
          chatId,
          base,
          next,
          (batch) => {
            if (claimBase?.updateTime)
              batch.update(claimRef, { ...claim }, { lastUpdateTime: claimBase.updateTime });
            else batch.create(claimRef, claim);
          },
          tally,
        );
      } catch (err) {
        // Unknown outcome (e.g. deadline): the claim may exist with our owner token.
        // Remember it so this instance's redelivery resumes instead of waiting on itself.
        this.ambiguousClaims.set(updateId, owner);
        throw err;
      }
      if (committed === false) continue;
      this.ambiguousClaims.delete(updateId);
      const stored = committed.value!.turns.find((t) => t.updateId === updateId) ?? turn;
      return {
        kind: "started",
        conversation: committed,
        turn: stored as Turn,
        resumed: existing !== undefined,
      };
    }
    throw new StoreError("conflict", `conversation ${chatId}: too much contention`, { transient: true });
  }

  private async commitClaimOnly(
    ref: FirebaseFirestore.DocumentReference,
    base: Versioned<Claim> | null,
    claim: Claim,
    tally: Tally | undefined,
  ): Promise<boolean> {
    try {
      await this.io.commit((batch) => {
        if (base?.updateTime) batch.update(ref, { ...claim }, { lastUpdateTime: base.updateTime });
        else batch.create(ref, claim);
      }, tally);
      return true;
    } catch (err) {
      if (err instanceof StoreError && err.kind === "precondition") return false;
      throw err;
    }
  }

  /**
   * Stores the agent's reply on its turn, marks the update done and adds the
   * user's usage, in one commit. If the turn is gone (the chat was reset while the
   * model worked) only the claim is closed.
   */
  async completeTurn(
    input: CompleteTurnInput,
    _log: Logger,
    tally?: Tally,
  ): Promise<Versioned<Conversation>> {
    const { chatId, updateId } = input;
    let base = await this.load(chatId, tally);
    for (let attempt = 0; attempt < this.options.maxAttempts; attempt++) {
      if (attempt > 0) {
        await this.backoff(attempt);
        base = await this.load(chatId, tally); // the lost race dropped L1: this reads
      }
      const current = base.value ?? this.empty(chatId);
      const now = this.now();
      let next: Conversation | null = null;
      if (current.turns.some((t) => t.updateId === updateId)) {
        const turns = current.turns.map((t) =>
          t.updateId === updateId ? { ...t, reply: input.reply, status: input.status } : t,
        );
        next = {
          ...current,
          turns: capTurns(turns as Turn[], this.options.limits).turns,
          version: current.version + 1,
          updatedAt: Timestamp.fromMillis(now),
        } as Conversation;
      }
      const committed = await this.commitConversation(
        chatId,
        base,
        next,
        (batch) => {
          // "answered", not "done": if this instance dies before Telegram has the reply,
          // a redelivery after the lease re-sends the stored reply (no second model call).
          batch.set(this.io.ref("updates", updateId), { status: "answered" }, { merge: true });
          batch.set(this.io.ref("sessions", input.userId), usageIncrement(input.userId, input.usage), {
            merge: true,
          });
        },
        tally,
      );
      if (committed !== false) return committed;
    }
    throw new StoreError("conflict", `conversation ${chatId}: too much contention`, { transient: true });
  }

  /** Applies a history edit (reset, undo) under the same optimistic protocol. */
  async edit(
    chatId: number,
    change: (c: Conversation) => Conversation | null,
  ): Promise<{ before: Versioned<Conversation>; after: Versioned<Conversation> }> {
    let base = await this.load(chatId);
    for (let attempt = 0; attempt < this.options.maxAttempts; attempt++) {
      if (attempt > 0) {
        await this.backoff(attempt);
        base = await this.load(chatId);
      }
      const current = base.value ?? this.empty(chatId);
      // Values are frozen: `change` builds a new conversation, sharing unchanged turns
      // (so only changed turns are written).
      const changed = change(current);
      const next = changed
        ? { ...changed, version: current.version + 1, updatedAt: Timestamp.fromMillis(this.now()) }
        : null;
      const committed = await this.commitConversation(chatId, base, next, () => {});
      if (committed !== false) return { before: base, after: committed };
    }
    throw new StoreError("conflict", `conversation ${chatId}: too much contention`, { transient: true });
  }

  /** Empties a chat's history (turns in flight are dropped when they complete). */
  reset(chatId: number) {
    return this.edit(chatId, (c) => (c.turns.length === 0 ? null : { ...c, turns: [] }));
  }

  /** Removes the last exchange. Each turn is a version of the history, so this is exact. */
  undo(chatId: number) {
    return this.edit(chatId, (c) => (c.turns.length === 0 ? null : { ...c, turns: c.turns.slice(0, -1) }));
  }

  /**
   * A standalone claim for updates that are not text turns (commands, refusals):
   * atomic create, exactly one winner. Returns false for a duplicate.
   */
  async claimUpdate(updateId: number, chatId: number | null, tally?: Tally): Promise<boolean> {
    try {
      await this.io.commit(
        (batch) =>
          batch.create(
            this.io.ref("updates", updateId),
            this.claimDoc(chatId ?? 0, updateId, "done", randomUUID()),
          ),
        tally,
      );
      return true;
    } catch (err) {
      if (err instanceof StoreError && err.kind === "precondition") {
        this.io.deps.metrics.inc("updates_duplicate");
        return false;
      }
      throw err;
    }
  }
}

/** The stored shape: turns keyed by update id (see ConversationSchema). */
function encode(conv: Conversation): Record<string, unknown> {
  return { ...conv, turns: Object.fromEntries(conv.turns.map((t) => [String(t.updateId), t])) };
}

/**
 * Writes `next` over `base` under the optimistic precondition, field by field:
 * version, time and rate, plus only the turns that changed (by identity: the
 * unchanged ones are the same frozen objects from L1) and deletes for trimmed
 * ones. A commit therefore carries one turn, not the whole history. A missing or
 * corrupt base is replaced whole.
 */
export function writeConversation(
  batch: FirebaseFirestore.WriteBatch,
  ref: FirebaseFirestore.DocumentReference,
  base: Versioned<Conversation>,
  next: Conversation,
): void {
  if (!base.value || !base.updateTime) {
    casWrite(batch, ref, base, encode(next));
    return;
  }
  const before = new Map(base.value.turns.map((t) => [t.updateId, t]));
  const fields: unknown[] = ["version", next.version, "updatedAt", next.updatedAt, "rate", next.rate];
  for (const turn of next.turns) {
    if (before.get(turn.updateId) !== turn) fields.push(new FieldPath("turns", String(turn.updateId)), turn);
    before.delete(turn.updateId);
  }
  for (const gone of before.keys()) fields.push(new FieldPath("turns", String(gone)), FieldValue.delete());
  const [first, firstValue, ...rest] = fields;
  batch.update(ref, first as string, firstValue, ...rest, { lastUpdateTime: base.updateTime });
}

function pruneRate(rate: Conversation["rate"], now: number): Conversation["rate"] {
  const out: Conversation["rate"] = {};
  for (const [user, times] of Object.entries(rate)) {
    const recent = times.filter((t) => t > now - RATE_WINDOW_MS);
    if (recent.length > 0) out[user] = recent;
  }
  return out;
}

function usageIncrement(userId: number, usage: Partial<Usage> | undefined) {
  const inc = (n: number | undefined) => FieldValue.increment(n ?? 0);
  return {
    userId,
    blocked: false, // a user who writes to the bot has not blocked it
    updatedAt: FieldValue.serverTimestamp(),
    usage: {
      messages: inc(1),
      inputTokens: inc(usage?.inputTokens),
      outputTokens: inc(usage?.outputTokens),
      cacheReadTokens: inc(usage?.cacheReadTokens),
      cacheWriteTokens: inc(usage?.cacheWriteTokens),
      costUsd: inc(usage?.costUsd),
    },
  };
}
