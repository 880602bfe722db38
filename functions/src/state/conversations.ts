import { FieldPath, FieldValue, Timestamp, type WriteResult } from "@google-cloud/firestore";
import type { L1Cache, Versioned } from "./cache.js";
import type { Effect } from "./claims.js";
import type { DocIO, Writes } from "./firestore.js";
import { casWrite } from "./firestore.js";
import { historyBytes } from "./history.js";
import type { Op } from "./op.js";
import { type Conversation, ConversationSchema } from "./schemas.js";

/**
 * Which conversation: a chat, or one topic in it (forum supergroups and private
 * chats with topics). Each topic has its own history, /reset, /undo and rate limit.
 */
export interface Where {
  chatId: number;
  threadId?: number | undefined;
}

/** `conversations/{chatId}` for a chat (so chats from before topics keep their history), `{chatId}_{threadId}` for a topic. */
export function conversationId(where: Where): string {
  return where.threadId ? `${where.chatId}_${where.threadId}` : String(where.chatId);
}

/**
 * Conversation history, `conversations/{conversationId}`, with L1 in front.
 *
 * Every write is part of an atomic commit guarded by a precondition on the
 * document as we last saw it (`lastUpdateTime`, or `create` when absent): an
 * optimistic transaction whose read set comes from L1 when warm (0 reads). The
 * commit returns the new update time, so L1 is written only with what Firestore
 * accepted and stays a valid base for the next write; a failed or lost commit
 * drops the entry. The claim protocol around a turn lives in claims.ts/turns.ts.
 */
export class ConversationStore {
  constructor(
    private readonly io: DocIO,
    private readonly cache: L1Cache,
    private readonly now: () => number,
  ) {}

  private key(where: Where): string {
    return `conversations/${conversationId(where)}`;
  }

  ref(where: Where) {
    return this.io.ref("conversations", conversationId(where));
  }

  /** The conversation for a chat: L1 when warm, one read (shared by concurrent callers) when not. */
  load(where: Where, op: Op): Promise<Versioned<Conversation>> {
    return this.cache.load(this.key(where), () => this.io.get(this.ref(where), ConversationSchema, op));
  }

  /** A fresh read (e.g. /stop asking whether a turn is being generated anywhere). */
  async read(where: Where, op: Op): Promise<Versioned<Conversation>> {
    const { doc, bytes } = await this.io.get(this.ref(where), ConversationSchema, op);
    return this.cache.set(this.key(where), doc, bytes);
  }

  /** Fills L1 from a snapshot read elsewhere (warm-up); never replaces a newer entry. */
  prime(where: Where, doc: Versioned<Conversation>, bytes: number): void {
    this.cache.setIfNewer(this.key(where), doc, bytes);
  }

  /** Parses a snapshot read together with a claim, and makes it the L1 base. */
  fresh(where: Where, snap: FirebaseFirestore.DocumentSnapshot, op: Op): Versioned<Conversation> {
    const { doc, bytes } = this.io.parse(snap, ConversationSchema, op.log);
    return this.cache.set(this.key(where), doc, bytes);
  }

  empty(where: Where): Conversation {
    return {
      chatId: where.chatId,
      ...(where.threadId ? { threadId: where.threadId } : {}),
      turns: [],
      version: 0,
      updatedAt: Timestamp.fromMillis(this.now()),
      rate: {},
      trimmedThrough: 0,
    };
  }

  /** Adds the write of `next` over `base`; returns its index among the commit's writes. */
  write(writes: Writes, where: Where, base: Versioned<Conversation>, next: Conversation): number {
    return writeConversation(writes, this.ref(where), base, next);
  }

  /** After a successful commit: L1 holds exactly what Firestore now has. */
  committed(where: Where, next: Conversation, result: WriteResult): Versioned<Conversation> {
    return this.cache.set(
      this.key(where),
      { value: next, updateTime: result.writeTime, exists: true },
      historyBytes(next.turns),
    );
  }

  /** After a failed or lost commit: L1 must not keep a base Firestore may have moved past. */
  dropped(where: Where): void {
    this.cache.delete(this.key(where));
  }

  /**
   * A history edit (reset, undo) as the effect of a command's claim, so the edit
   * and the command's answer commit together. `change` returns null for "no change".
   */
  edit(where: Where, change: (c: Conversation) => Conversation | null): Effect & { before(): Conversation } {
    let base: Versioned<Conversation> | null = null;
    let next: Conversation | null = null;
    let at = -1;
    return {
      prepare: async (n, op) => {
        if (n > 0) this.dropped(where);
        base = await this.load(where, op);
        const current = base.value ?? this.empty(where);
        const changed = change(current);
        next = changed
          ? { ...changed, version: current.version + 1, updatedAt: Timestamp.fromMillis(this.now()) }
          : null;
      },
      write: (writes) => {
        at = next && base ? this.write(writes, where, base, next) : -1;
      },
      committed: (results) => {
        if (next && at >= 0) this.committed(where, next, results[at]!);
      },
      failed: () => this.dropped(where),
      before: () => base?.value ?? this.empty(where),
    };
  }
}

/** Empties a chat's history (turns in flight are dropped when they complete). */
export const resetHistory = (c: Conversation): Conversation | null =>
  c.turns.length === 0 ? null : { ...c, turns: [] };

/** Removes the last exchange. Each turn is a version of the history, so this is exact. */
export const undoLast = (c: Conversation): Conversation | null =>
  c.turns.length === 0 ? null : { ...c, turns: c.turns.slice(0, -1) };

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
  writes: Writes,
  ref: FirebaseFirestore.DocumentReference,
  base: Versioned<Conversation>,
  next: Conversation,
): number {
  if (!base.value || !base.updateTime) return casWrite(writes, ref, base, encode(next));
  const before = new Map(base.value.turns.map((t) => [t.updateId, t]));
  const fields: unknown[] = [
    "version",
    next.version,
    "updatedAt",
    next.updatedAt,
    "rate",
    next.rate,
    "trimmedThrough",
    next.trimmedThrough,
  ];
  for (const turn of next.turns) {
    if (before.get(turn.updateId) !== turn) fields.push(new FieldPath("turns", String(turn.updateId)), turn);
    before.delete(turn.updateId);
  }
  for (const gone of before.keys()) fields.push(new FieldPath("turns", String(gone)), FieldValue.delete());
  return writes.updatePaths(ref, fields, { lastUpdateTime: base.updateTime });
}
