import { Timestamp, type WriteResult } from "@google-cloud/firestore";
import type { L1Cache, Versioned } from "./cache.js";
import type { Effect } from "./claims.js";
import { casWrite, type DocIO, type Writes } from "./firestore.js";
import { jsonBytes } from "./history.js";
import type { Op } from "./op.js";
import { type Session, type SessionChange, SessionSchema, type SettingValue, type Usage } from "./schemas.js";
import { chargeFor } from "./spend.js";

export const SESSION_HISTORY_LIMIT = 20;

/** The skill a session selected (settings values are loosely typed: check it is a string). */
export function activeSkillId(session: Versioned<Session>): string | null {
  const id = session.value?.settings.activeSkill;
  return typeof id === "string" ? id : null;
}

/** A turn's charge to its user's session, written in another store's commit (TurnStore.answer). */
export interface SessionCharge {
  /** Adds the write; returns its index among the commit's writes. */
  write(writes: Writes): number;
  committed(result: WriteResult): void;
  /** The commit failed or its outcome is unknown: L1 must not keep a copy Firestore may have moved past. */
  failed(): void;
}

export interface SessionOptions {
  now: () => number;
}

/**
 * Per-user sessions: versioned settings with a bounded change log (ops can read
 * who changed what, and when, in the console).
 *
 * Changes are field-level (`update` of `settings.<name>` paths, never a
 * whole-document read-modify-write) and guarded by a lastUpdateTime
 * precondition, so concurrent changes on any number of instances serialise:
 * each commit bumps `version` by exactly one and appends its change record.
 * Usage counters are server-side increments (see TurnStore) and never
 * conflict with settings.
 */
export class SessionStore {
  constructor(
    private readonly io: DocIO,
    private readonly cache: L1Cache,
    private readonly options: SessionOptions,
  ) {}

  private key(userId: number): string {
    return `sessions/${userId}`;
  }

  load(userId: number, op: Op): Promise<Versioned<Session>> {
    return this.cache.load(this.key(userId), () =>
      this.io.get(this.io.ref("sessions", userId), SessionSchema, op),
    );
  }

  /** Fills L1 from a snapshot read elsewhere (warm-up); never replaces a newer entry. */
  prime(userId: number, doc: Versioned<Session>, bytes: number): void {
    this.cache.setIfNewer(this.key(userId), doc, bytes);
  }

  /** A fresh read (e.g. for /stats, where counters must be current). */
  async read(userId: number, op: Op): Promise<Versioned<Session>> {
    const { doc, bytes } = await this.io.get(this.io.ref("sessions", userId), SessionSchema, op);
    return this.cache.set(this.key(userId), doc, bytes);
  }

  private empty(userId: number): Session {
    return {
      userId,
      settings: {},
      version: 0,
      history: [],
      usage: SessionSchema.shape.usage.parse(undefined),
      spendMicroUsd: SessionSchema.shape.spendMicroUsd.parse(undefined),
      blocked: false,
      updatedAt: Timestamp.fromMillis(this.options.now()),
    };
  }

  /**
   * A settings change as the effect of a command's claim (the change and the
   * command's answer commit together). `compute` sees the current session; the
   * change is computed again from a fresh read after a lost race. No write when
   * nothing changes.
   */
  change(
    userId: number,
    compute: (current: Readonly<Session>) => Record<string, SettingValue>,
  ): Effect & { result(): Readonly<Session> } {
    let base: Versioned<Session> | null = null;
    let next: Session | null = null;
    let fields: Record<string, unknown> = {};
    let at = -1;
    return {
      prepare: async (_n, op) => {
        // Always a fresh read: usage increments move the document's update time on every turn.
        base = await this.read(userId, op);
        const current = (base.value as Session | null) ?? this.empty(userId);
        const changes: SessionChange["changes"] = {};
        for (const [name, to] of Object.entries(compute(current))) {
          const from = current.settings[name] ?? null;
          if (from !== to) changes[name] = { from, to };
        }
        next = null;
        if (Object.keys(changes).length === 0) return;
        const at = Timestamp.fromMillis(this.options.now());
        const version = current.version + 1;
        const history = [...current.history, { version, at, changes }].slice(-SESSION_HISTORY_LIMIT);
        const settings = { ...current.settings };
        fields = { version, history, updatedAt: at };
        for (const [name, { to }] of Object.entries(changes)) {
          settings[name] = to;
          fields[`settings.${name}`] = to;
        }
        next = { ...current, settings, version, history, updatedAt: at };
      },
      write: (writes) => {
        if (!next || !base) return;
        const ref = this.io.ref("sessions", userId);
        at =
          !base.exists || !base.value
            ? casWrite(writes, ref, base, { ...next })
            : writes.update(ref, fields, { lastUpdateTime: base.updateTime! });
      },
      committed: (results) => {
        if (next && at >= 0) {
          this.cache.set(
            this.key(userId),
            { value: next, updateTime: results[at]!.writeTime, exists: true },
            jsonBytes(next),
          );
        }
      },
      failed: () => this.cache.delete(this.key(userId)),
      result: () => next ?? (base?.value as Session | null) ?? this.empty(userId),
    };
  }

  /**
   * A turn's usage and spend (state/spend.ts), to write in the commit that stores its
   * reply. After that commit, L1's copy of the session is advanced by exactly those
   * increments (so this instance's next budget check sees the turn's spend without a
   * read); after a failed or ambiguous commit, the copy is dropped.
   */
  charge(userId: number, usage: Partial<Usage> | undefined): SessionCharge {
    const key = this.key(userId);
    const known = this.cache.peek<Session>(key)?.value ?? null;
    const charge = chargeFor(userId, usage, this.options.now(), known);
    return {
      write: (writes) => writes.merge(this.io.ref("sessions", userId), charge.fields),
      committed: (result) =>
        this.cache.advance<Session>(key, (doc) => {
          if (doc.exists && !doc.value) return null; // an invalid document: read it again
          const value = charge.apply(doc.value ?? this.empty(userId), result.writeTime);
          return { doc: { value, updateTime: result.writeTime, exists: true }, bytes: jsonBytes(value) };
        }),
      failed: () => this.cache.delete(key),
    };
  }

  /** Marks a user who blocked the bot, so warm-up skips them (no version bump: not a setting). */
  async markBlocked(userId: number, op: Op): Promise<void> {
    await this.io.commit(op, (writes) =>
      writes.merge(this.io.ref("sessions", userId), {
        userId,
        blocked: true,
        updatedAt: Timestamp.fromMillis(this.options.now()),
      }),
    );
    this.cache.delete(this.key(userId));
  }
}
