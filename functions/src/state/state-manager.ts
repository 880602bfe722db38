import type { Firestore } from "@google-cloud/firestore";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { BackgroundJobs } from "./background.js";
import { L1Cache } from "./cache.js";
import { ConversationStore } from "./conversations.js";
import { toStoreError } from "./errors.js";
import { type CollectionName, DocIO } from "./firestore.js";
import type { HistoryLimits } from "./history.js";
import { MetricsReports } from "./metrics-reports.js";
import { NotesStore } from "./notes.js";
import { ConversationSchema, SessionSchema } from "./schemas.js";
import { SessionStore } from "./sessions.js";
import { SkillStore } from "./skills.js";

export interface StateOptions {
  db: () => Firestore;
  names: Record<CollectionName, string>;
  metrics: Metrics;
  log: Logger;
  limits: HistoryLimits;
  cache: { maxEntries: number; maxBytes: number; ttlMs: number };
  /** > the function timeout, so a live turn's claim is never taken over. */
  leaseMs: number;
  claimTtlMs?: number;
  warmupSessions: number;
  maxAttempts?: number;
  deadlineMs?: { read: number; commit: number } | undefined;
  now?: () => number;
}

/** The recent-sessions query used by warm-up; a port, so its failure can be injected. */
export type RecentSessionsQuery = (io: DocIO, limit: number) => Promise<FirebaseFirestore.QuerySnapshot>;

/** Indexed: `blocked == false` ordered by `updatedAt desc` (composite index in firestore.indexes.json). */
export const recentSessionsIndexed: RecentSessionsQuery = (io, limit) =>
  io.query(
    "recent sessions",
    io.deps
      .db()
      .collection(io.deps.names.sessions)
      .where("blocked", "==", false)
      .orderBy("updatedAt", "desc")
      .limit(limit),
  );

/** Unindexed fallback: any `limit` sessions. */
export const recentSessionsUnindexed: RecentSessionsQuery = (io, limit) =>
  io.query("sessions (unindexed)", io.deps.db().collection(io.deps.names.sessions).limit(limit));

/**
 * The state layer as one object per instance: L1 over Firestore for sessions,
 * conversations, skills and dedupe claims, a background warm-up and a shutdown
 * that waits for background work. Built by a factory with explicit dependencies;
 * nothing here is a module-level singleton.
 */
export class StateManager {
  readonly cache: L1Cache;
  readonly io: DocIO;
  readonly conversations: ConversationStore;
  readonly sessions: SessionStore;
  readonly skills: SkillStore;
  readonly notes: NotesStore;
  readonly metricsReports: MetricsReports;
  readonly background: BackgroundJobs;
  private warmup: Promise<unknown> | null = null;

  constructor(
    private readonly options: StateOptions,
    private readonly recentSessions: RecentSessionsQuery = recentSessionsIndexed,
  ) {
    const { metrics, log } = options;
    this.cache = new L1Cache({ ...options.cache, metrics });
    this.io = new DocIO({
      db: options.db,
      names: options.names,
      metrics,
      log,
      deadlineMs: options.deadlineMs,
    });
    const maxAttempts = options.maxAttempts ?? 12;
    this.conversations = new ConversationStore(this.io, this.cache, {
      limits: options.limits,
      leaseMs: options.leaseMs,
      claimTtlMs: options.claimTtlMs ?? 3 * 24 * 3600_000,
      maxAttempts,
      now: options.now,
    });
    this.sessions = new SessionStore(this.io, this.cache, { maxAttempts, now: options.now });
    this.skills = new SkillStore(this.io, this.cache);
    this.notes = new NotesStore(this.io);
    this.metricsReports = new MetricsReports(this.io);
    this.background = new BackgroundJobs(log);
  }

  /**
   * Starts the cold-start warm-up once, in the background: skills, then the most
   * recently active users' sessions and private-chat conversations. No request
   * waits for it; requests that miss L1 meanwhile read for themselves.
   */
  startWarmup(): Promise<unknown> {
    this.warmup ??= this.background.run("warmup", () => this.warm());
    return this.warmup;
  }

  private async warm(): Promise<{ skills: number; sessions: number }> {
    const started = performance.now();
    const { log, metrics } = this.options;
    const skills = await this.skills.warm();
    let sessions = 0;
    if (this.options.warmupSessions > 0) {
      const snap = await this.querySessions(this.options.warmupSessions);
      const userIds: number[] = [];
      for (const d of snap.docs) {
        const parsed = this.io.parse(d, SessionSchema);
        const userId = Number(d.id);
        if (!parsed.doc.value || !Number.isSafeInteger(userId)) continue;
        this.sessions.prime(userId, parsed.doc, parsed.bytes);
        userIds.push(userId);
      }
      sessions = userIds.length;
      // In a private chat the chat id is the user id: warm those conversations too.
      for (let i = 0; i < userIds.length; i += 100) {
        const refs = userIds.slice(i, i + 100).map((id) => this.io.ref("conversations", id));
        const snaps = await this.io.getAll(refs);
        for (const s of snaps) {
          const parsed = this.io.parse(s, ConversationSchema);
          this.conversations.prime(Number(s.id), parsed.doc, parsed.bytes);
        }
      }
    }
    metrics.warmupMs = performance.now() - started;
    log.info({ skills, sessions, warmup_ms: Math.round(metrics.warmupMs) }, "warm-up done");
    return { skills, sessions };
  }

  private async querySessions(limit: number): Promise<FirebaseFirestore.QuerySnapshot> {
    try {
      return await this.recentSessions(this.io, limit);
    } catch (err) {
      const e = toStoreError(err, "recent sessions");
      // FAILED_PRECONDITION is what Firestore answers for a query whose index is missing.
      if (e.kind !== "precondition") throw e;
      this.options.log.warn(
        { err: e, code: e.code, fallback: "unindexed" },
        "recent-sessions index missing; warming without order (deploy firestore.indexes.json)",
      );
      return recentSessionsUnindexed(this.io, limit);
    }
  }

  /** Waits for warm-up and every other background job (call on instance shutdown). */
  async shutdown(): Promise<void> {
    await this.background.drain();
  }
}
