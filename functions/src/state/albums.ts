import { Timestamp } from "@google-cloud/firestore";
import { z } from "zod";
import {
  ALBUM_WINDOW,
  type Album,
  AlbumSchema,
  type AlbumWindow,
  albumKey,
  checkAlbum,
  type IncomingItem,
  type RecordOutcome,
  recordAlbumItem,
} from "../media/album.js";
import type { Metrics } from "../observability/metrics.js";
import type { Versioned } from "./cache.js";
import { casWrite, type DocIO } from "./firestore.js";
import type { Op } from "./op.js";
import { retrying } from "./retry.js";

/** How long album documents are kept (a TTL policy on `expireAt` deletes them). */
const ALBUM_TTL_MS = 2 * 24 * 3600_000;

/**
 * The stored album: the pure model of media/album.ts plus the message of its
 * lowest item (the album's turn runs as that update) and a TTL.
 */
export const StoredAlbumSchema = AlbumSchema.extend({
  first: z.object({ updateId: z.number().int(), message: z.looseObject({ message_id: z.number().int() }) }),
  expireAt: z.instanceof(Timestamp),
});
export type StoredAlbum = z.infer<typeof StoredAlbumSchema>;

export type AlbumCheck =
  /** Items may still come: check again at `until` (check number `seq`). */
  | { action: "wait"; until: number; seq: number }
  /** Closed (now or earlier): run, or re-run, the album's turn. The claim makes it exactly once. */
  | { action: "run"; album: StoredAlbum }
  | { action: "none" };

/**
 * Albums (media groups), `albums/{chatId}_{mediaGroupId}`: every item of an album
 * is recorded here (idempotent by update_id), and a check task closes the album
 * once no item came for the quiet window (media/ALBUMS.md). Each transition is a
 * read and a commit under the document's precondition, retried at one level.
 */
export class AlbumStore {
  constructor(
    private readonly io: DocIO,
    private readonly metrics: Metrics,
    private readonly options: { now: () => number; window?: AlbumWindow | undefined },
  ) {}

  private ref(chatId: number, mediaGroupId: string) {
    return this.io.ref("albums", albumKey(chatId, mediaGroupId));
  }

  private read(chatId: number, mediaGroupId: string, op: Op): Promise<Versioned<StoredAlbum>> {
    return this.io.get(this.ref(chatId, mediaGroupId), StoredAlbumSchema, op).then((r) => r.doc);
  }

  private write(
    chatId: number,
    mediaGroupId: string,
    base: Versioned<StoredAlbum>,
    album: StoredAlbum,
    op: Op,
  ) {
    return this.io.commit(op, (writes) =>
      casWrite(writes, this.ref(chatId, mediaGroupId), base, album as unknown as Record<string, unknown>),
    );
  }

  /** Records an item's arrival (before any download); see RecordOutcome. */
  record(item: IncomingItem & { message: StoredAlbum["first"]["message"] }, op: Op): Promise<RecordOutcome> {
    return retrying("record album item", op, this.metrics, async () => {
      const base = await this.read(item.chatId, item.mediaGroupId, op);
      const now = this.options.now();
      const { outcome, album } = recordAlbumItem(base.value ?? undefined, item, now);
      if (!album) return outcome;
      const first =
        base.value && base.value.first.updateId < item.updateId
          ? base.value.first
          : { updateId: item.updateId, message: item.message };
      await this.write(
        item.chatId,
        item.mediaGroupId,
        base,
        { ...album, first, expireAt: Timestamp.fromMillis(now + ALBUM_TTL_MS) },
        op,
      );
      return outcome;
    });
  }

  /** What a check task does now (wait, run the turn, nothing), written under the precondition. */
  check(chatId: number, mediaGroupId: string, op: Op): Promise<AlbumCheck> {
    return retrying("check album", op, this.metrics, async () => {
      const base = await this.read(chatId, mediaGroupId, op);
      const stored = base.value;
      if (!stored) return { action: "none" };
      // The turn's own claim keeps it exactly once, so a closed album simply runs its turn
      // again on every check (lease 0): a retried task resumes or finds it done.
      const decision = checkAlbum(stored, this.options.now(), "", 0, this.options.window ?? ALBUM_WINDOW);
      if (decision.action === "none") return { action: "none" };
      if (decision.action === "resume") return { action: "run", album: stored };
      const next: StoredAlbum = { ...stored, ...(decision.album as Album) };
      await this.write(chatId, mediaGroupId, base, next, op);
      return decision.action === "wait"
        ? { action: "wait", until: decision.until, seq: next.checks - 1 }
        : { action: "run", album: next };
    });
  }
}
