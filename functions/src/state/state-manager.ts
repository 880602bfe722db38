import type { Firestore } from "@google-cloud/firestore";
import type { AlbumWindow } from "../media/album.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { type Clock, Deadline, systemClock } from "../timeouts.js";
import { AlbumStore } from "./albums.js";
import { BackgroundJobs } from "./background.js";
import { L1Cache } from "./cache.js";
import { ClaimStore } from "./claims.js";
import { ConversationStore } from "./conversations.js";
import { toStoreError } from "./errors.js";
import { type CollectionName, DocIO } from "./firestore.js";
import type { HistoryLimits } from "./history.js";
import { MetricsReports } from "./metrics-reports.js";
import { NotesStore } from "./notes.js";
import type { Op } from "./op.js";
import { Receipts } from "./receipts.js";
import { ConversationSchema, SessionSchema } from "./schemas.js";
import { SessionStore } from "./sessions.js";
import { SkillStore } from "./skills.js";
import { StopStore } from "./stops.js";
import { TurnStore } from "./turns.js";

export interface StateOptions {
  db: () => Firestore;
  names: Record<CollectionName, string>;
  metrics: Metrics;
  log: Logger;
  limits: HistoryLimits;
  cache: { maxEntries: number; maxBytes: number; ttlMs: number };
  claimTtlMs?: number;
  warmupSessions: number;
  /** When albums close (ALBUM_QUIET_MS); the default window if not given. */
  albumWindow?: AlbumWindow | undefined;
  /** Per-call Firestore caps (tests shorten them). */
  callMs?: { read: number; commit: number } | undefined;
  clock?: Clock;
  /** The Firestore edge (tests substitute one that fails or stalls after a call took effect). */
  io?: (deps: ConstructorParameters<typeof DocIO>[0]) => DocIO;
}

/** How long warm-up may take in all (it never blocks a request). */
const WARMUP_BUDGET_MS = 60_000;

/** The recent-sessions query used by warm-up; a port, so its failure can be injected. */
export type RecentSessionsQuery = (
  io: DocIO,
  limit: number,
  op: Op,
) => Promise<FirebaseFirestore.QuerySnapshot>;

/** Indexed: `blocked == false` ordered by `updatedAt desc` (composite index in firestore.indexes.json). */
export const recentSessionsIndexed: RecentSessionsQuery = (io, limit, op) =>
  io.query(
    "recent sessions",
    io.deps
      .db()
      .collection(io.deps.names.sessions)
      .where("blocked", "==", false)
      .orderBy("updatedAt", "desc")
      .limit(limit),
    op,
  );

/** Unindexed fallback: any `limit` sessions. */
export const recentSessionsUnindexed: RecentSessionsQuery = (io, limit, op) =>
  io.query("sessions (unindexed)", io.deps.db().collection(io.deps.names.sessions).limit(limit), op);

/**
 * The state layer as one object per instance: L1 over Firestore for sessions,
 * conversations, skills and update claims, a background warm-up and a shutdown
 * that waits for background work. Built by a factory with explicit dependencies;
 * nothing here is a module-level singleton.
 */
export class StateManager {
  readonly cache: L1Cache;
  readonly io: DocIO;
  readonly clock: Clock;
  readonly claims: ClaimStore;
  readonly receipts: Receipts;
  readonly conversations: ConversationStore;
  readonly turns: TurnStore;
  readonly sessions: SessionStore;
  readonly skills: SkillStore;
  readonly notes: NotesStore;
  readonly albums: AlbumStore;
  readonly stops: StopStore;
  readonly metricsReports: MetricsReports;
  readonly background: BackgroundJobs;
  private warmup: Promise<unknown> | null = null;

  constructor(
    private readonly options: StateOptions,
    private readonly recentSessions: RecentSessionsQuery = recentSessionsIndexed,
  ) {
    const { metrics, log } = options;
    this.clock = options.clock ?? systemClock;
    const now = () => this.clock.now();
    this.cache = new L1Cache({ ...options.cache, metrics, clock: this.clock });
    const ioDeps = { db: options.db, names: options.names, metrics, callMs: options.callMs };
    this.io = options.io ? options.io(ioDeps) : new DocIO(ioDeps);
    this.claims = new ClaimStore(this.io, metrics, { ttlMs: options.claimTtlMs ?? 3 * 24 * 3600_000 });
    this.background = new BackgroundJobs(log);
    this.receipts = new Receipts(this.io, this.claims, {
      metrics,
      log,
      clock: this.clock,
      background: this.background,
    });
    this.conversations = new ConversationStore(this.io, this.cache, now);
    this.sessions = new SessionStore(this.io, this.cache, { now });
    this.turns = new TurnStore(
      this.io,
      this.claims,
      this.conversations,
      this.sessions,
      this.receipts,
      metrics,
      {
        limits: options.limits,
        now,
      },
    );
    this.skills = new SkillStore(this.io, this.cache);
    this.notes = new NotesStore(this.io, metrics, now);
    this.albums = new AlbumStore(this.io, metrics, { now, window: options.albumWindow });
    this.stops = new StopStore(this.io, now);
    this.metricsReports = new MetricsReports(this.io);
  }

  /** An Op for work outside any request (warm-up, metrics publishing), with its own deadline. */
  backgroundOp(budgetMs: number): Op {
    return { log: this.options.log, deadline: Deadline.after(this.clock, budgetMs) };
  }

  /**
   * Starts the cold-start warm-up once, in the background: skills, then the most
   * recently active users' sessions and private-chat conversations. No request
   * waits for it; requests that miss L1 meanwhile read for themselves, and what
   * they (or turns) commit is never replaced by the warm-up's older reads.
   */
  startWarmup(): Promise<unknown> {
    this.warmup ??= this.background.run("warmup", () => this.warm(this.backgroundOp(WARMUP_BUDGET_MS)));
    return this.warmup;
  }

  private async warm(op: Op): Promise<{ skills: number; sessions: number }> {
    const started = performance.now();
    const { metrics } = this.options;
    const skills = await this.skills.warm(op);
    let sessions = 0;
    if (this.options.warmupSessions > 0) {
      const snap = await this.querySessions(this.options.warmupSessions, op);
      const userIds: number[] = [];
      for (const d of snap.docs) {
        const parsed = this.io.parse(d, SessionSchema, op.log);
        const userId = Number(d.id);
        if (!parsed.doc.value || !Number.isSafeInteger(userId)) continue;
        this.sessions.prime(userId, parsed.doc, parsed.bytes);
        userIds.push(userId);
      }
      sessions = userIds.length;
      // In a private chat the chat id is the user id: warm those conversations too.
      for (let i = 0; i < userIds.length; i += 100) {
        const refs = userIds.slice(i, i + 100).map((id) => this.io.ref("conversations", id));
        const snaps = await this.io.getAll(refs, op);
        for (const s of snaps) {
          const parsed = this.io.parse(s, ConversationSchema, op.log);
          this.conversations.prime({ chatId: Number(s.id) }, parsed.doc, parsed.bytes);
        }
      }
    }
    metrics.warmupMs = performance.now() - started;
    op.log.info({ skills, sessions, warmup_ms: Math.round(metrics.warmupMs) }, "warm-up done");
    return { skills, sessions };
  }

  private async querySessions(limit: number, op: Op): Promise<FirebaseFirestore.QuerySnapshot> {
    try {
      return await this.recentSessions(this.io, limit, op);
    } catch (err) {
      const e = toStoreError(err, "recent sessions");
      // FAILED_PRECONDITION is what Firestore answers for a query whose index is missing.
      if (e.kind !== "precondition") throw e;
      op.log.warn(
        { err: e, code: e.code, fallback: "unindexed" },
        "recent-sessions index missing; warming without order (deploy firestore.indexes.json)",
      );
      return recentSessionsUnindexed(this.io, limit, op);
    }
  }

  /** Writes pending delivery receipts and waits for every background job (instance shutdown). */
  async shutdown(): Promise<void> {
    await this.background.run("delivery receipts", () => this.receipts.flush());
    await this.background.drain();
  }
}
