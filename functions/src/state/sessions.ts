import { Timestamp } from "@google-cloud/firestore";
import type { Tally } from "../observability/turn-stats.js";
import type { L1Cache, Versioned } from "./cache.js";
import { StoreError } from "./errors.js";
import { casWrite, type DocIO } from "./firestore.js";
import { jsonBytes } from "./history.js";
import { type Session, type SessionChange, SessionSchema, type SettingValue } from "./schemas.js";

export const SESSION_HISTORY_LIMIT = 20;

/** The skill a session selected (settings values are loosely typed: check it is a string). */
export function activeSkillId(session: Versioned<Session>): string | null {
  const id = session.value?.settings.activeSkill;
  return typeof id === "string" ? id : null;
}

export interface SessionOptions {
  maxAttempts: number;
  now?: () => number;
}

/**
 * Per-user sessions: versioned settings with a bounded change log.
 *
 * Changes are field-level (`update` of `settings.<name>` paths, never a
 * whole-document read-modify-write) and guarded by a lastUpdateTime
 * precondition, so concurrent changes on any number of instances serialise:
 * each commit bumps `version` by exactly one and appends its change record.
 * Usage counters are server-side increments (see ConversationStore) and never
 * conflict with settings.
 */
export class SessionStore {
  private readonly now: () => number;

  constructor(
    private readonly io: DocIO,
    private readonly cache: L1Cache,
    private readonly options: SessionOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  private key(userId: number): string {
    return `sessions/${userId}`;
  }

  load(userId: number, tally?: Tally): Promise<Versioned<Session>> {
    return this.cache.load(this.key(userId), () =>
      this.io.get(this.io.ref("sessions", userId), SessionSchema, tally),
    );
  }

  prime(userId: number, doc: Versioned<Session>, bytes: number): void {
    this.cache.set(this.key(userId), doc, bytes);
  }

  /** A fresh read (e.g. for /stats, where counters must be current). */
  async read(userId: number): Promise<Versioned<Session>> {
    const { doc, bytes } = await this.io.get(this.io.ref("sessions", userId), SessionSchema);
    return this.cache.set(this.key(userId), doc, bytes);
  }

  private empty(userId: number): Session {
    return {
      userId,
      settings: {},
      version: 0,
      history: [],
      usage: SessionSchema.shape.usage.parse(undefined),
      blocked: false,
      updatedAt: Timestamp.fromMillis(this.now()),
    };
  }

  /**
   * Applies setting changes computed from the current session. Returns the
   * committed session; no write when nothing changes.
   */
  async change(
    userId: number,
    compute: (current: Readonly<Session>) => Record<string, SettingValue>,
  ): Promise<Versioned<Session>> {
    for (let attempt = 0; attempt < this.options.maxAttempts; attempt++) {
      // Settings changes are rare (/skill): always start from a fresh read, because
      // usage increments move the document's update time on every turn.
      const base = await this.read(userId);
      const current = (base.value as Session | null) ?? this.empty(userId);
      const wanted = compute(current);
      const changes: SessionChange["changes"] = {};
      for (const [name, to] of Object.entries(wanted)) {
        const from = current.settings[name] ?? null;
        if (from !== to) changes[name] = { from, to };
      }
      if (Object.keys(changes).length === 0) return base;
      const ok = await this.commit(userId, base, current, changes);
      if (ok) return ok;
    }
    throw new StoreError("conflict", `session ${userId}: too much contention`, { transient: true });
  }

  private async commit(
    userId: number,
    base: Versioned<Session>,
    current: Session,
    changes: SessionChange["changes"],
  ): Promise<Versioned<Session> | null> {
    const at = Timestamp.fromMillis(this.now());
    const version = current.version + 1;
    const record: SessionChange = { version, at, changes };
    const history = [...current.history, record].slice(-SESSION_HISTORY_LIMIT);
    const settings = { ...current.settings };
    const fields: Record<string, unknown> = { version, history, updatedAt: at };
    for (const [name, { to }] of Object.entries(changes)) {
      settings[name] = to;
      fields[`settings.${name}`] = to;
    }
    const next: Session = { ...current, settings, version, history, updatedAt: at };
    const ref = this.io.ref("sessions", userId);
    try {
      const [result] = await this.io.commit((batch) => {
        if (!base.exists || !base.value) casWrite(batch, ref, base, { ...next });
        else batch.update(ref, fields, { lastUpdateTime: base.updateTime! });
      });
      const doc: Versioned<Session> = { value: next, updateTime: result!.writeTime, exists: true };
      return this.cache.set(this.key(userId), doc, jsonBytes(next));
    } catch (err) {
      this.cache.delete(this.key(userId));
      if (err instanceof StoreError && err.kind === "precondition") {
        this.io.deps.metrics.inc("tx_conflicts");
        return null;
      }
      throw err;
    }
  }

  /** Sets settings to the given values (a normal, versioned change). */
  set(userId: number, values: Record<string, SettingValue>): Promise<Versioned<Session>> {
    return this.change(userId, () => values);
  }

  /**
   * Undoes the last `steps` changes by applying their `from` values, as a new
   * version (history is never rewritten, so a rollback can itself be rolled back).
   */
  rollback(userId: number, steps = 1): Promise<Versioned<Session>> {
    return this.change(userId, (current) => {
      const undo = current.history.slice(-steps).reverse();
      if (undo.length < steps) {
        throw new StoreError("invalid_argument", `only ${current.history.length} changes can be rolled back`);
      }
      const values: Record<string, SettingValue> = {};
      for (const record of undo)
        for (const [name, { from }] of Object.entries(record.changes)) values[name] = from;
      return values;
    });
  }

  /** An immutable snapshot of the session (deep-frozen; safe to keep). */
  async snapshot(userId: number): Promise<Readonly<Session>> {
    const doc = await this.load(userId);
    return (doc.value as Session | null) ?? Object.freeze(this.empty(userId));
  }

  /** Marks a user who blocked the bot, so warm-up skips them (no version bump: not a setting). */
  async markBlocked(userId: number): Promise<void> {
    await this.io.commit((batch) =>
      batch.set(
        this.io.ref("sessions", userId),
        { userId, blocked: true, updatedAt: Timestamp.now() },
        { merge: true },
      ),
    );
    this.cache.delete(this.key(userId));
  }
}
