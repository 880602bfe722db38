import { createHash } from "node:crypto";
import { z } from "zod";
import type { MediaCandidate } from "./classify.js";

// The album (media group) protocol as pure transitions; ALBUMS.md explains it. The state layer
// runs each transition inside one Firestore transaction on albums/{chatId}_{mediaGroupId} and
// converts Timestamps to epoch milliseconds at its edge. Nothing here does I/O.

/**
 * Telegram sends the items of one chat one at a time (the next only after our 2xx), so items
 * reach us spaced by our own answer time, not the user's upload. The album closes once no item
 * arrived for `quietMs` (ALBUM_QUIET_MS), and at the latest `capMs` after its first item.
 */
export type AlbumWindow = { quietMs: number; capMs: number };

/** The window for a quiet time: the cap is five of them (2 s → 10 s by default). */
export const albumWindow = (quietMs: number): AlbumWindow => ({ quietMs, capMs: 5 * quietMs });
export const ALBUM_WINDOW: AlbumWindow = albumWindow(2_000);

export const ALBUM_STATES = ["collecting", "closed", "answered", "done"] as const;

const CandidateSchema = z.object({
  source: z.enum(["photo", "document"]),
  fileId: z.string().min(1),
  fileUniqueId: z.string().min(1),
  fileSize: z.number().int().nonnegative().optional(),
  name: z.string().max(256).optional(),
  mimeType: z.string().max(128).optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
});

export const AlbumItemSchema = z.object({
  messageId: z.number().int(),
  /** What to fetch when the turn runs; absent when the item was refused on sight. */
  candidate: CandidateSchema.optional(),
  /** A refusal known before download (e.g. a video in a photo album): told, not fetched. */
  refused: z.object({ reason: z.string(), what: z.string().optional() }).optional(),
  caption: z.string().max(4096).optional(),
  at: z.number(),
});
export type AlbumItem = z.infer<typeof AlbumItemSchema>;

export const AlbumSchema = z.object({
  chatId: z.number().int(),
  mediaGroupId: z.string().min(1),
  userId: z.number().int(),
  state: z.enum(ALBUM_STATES),
  /** Keyed by update_id: a redelivered item finds itself here. */
  items: z.record(z.string().regex(/^\d+$/), AlbumItemSchema),
  firstAt: z.number(),
  lastAt: z.number(),
  /** Check tasks armed so far: names the next one. */
  checks: z.number().int().nonnegative(),
  /** The album's turn in history: the lowest update_id of its items, set at close. */
  turnUpdateId: z.number().int().optional(),
  /** The closer's token and lease while the turn runs (the claim for the album's turn). */
  owner: z.string().optional(),
  leaseUntil: z.number().optional(),
  /** Items that arrived after close; each ran as its own turn. */
  late: z.array(z.number().int()).default([]),
});
export type Album = z.infer<typeof AlbumSchema>;

/** Firestore document id for an album. */
export function albumKey(chatId: number, mediaGroupId: string): string {
  // media_group_id is a numeric string today; anything else must not shape a document path.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(mediaGroupId)) throw new Error("unexpected media_group_id");
  return `${chatId}_${mediaGroupId}`;
}

export interface IncomingItem {
  updateId: number;
  chatId: number;
  userId: number;
  mediaGroupId: string;
  messageId: number;
  candidate?: MediaCandidate;
  refused?: { reason: string; what?: string };
  caption?: string;
}

export type RecordOutcome =
  /** First item: the caller creates the document and arms check task 0. */
  | "opened"
  | "added"
  /** A redelivery of a recorded item: write nothing; ensure the check task while collecting. */
  | "duplicate"
  /** The album already closed: this item becomes a turn of its own. */
  | "late";

/** Records one item's arrival. Returns the album to write (undefined: write nothing). */
export function recordAlbumItem(
  album: Album | undefined,
  item: IncomingItem,
  now: number,
): { outcome: RecordOutcome; album: Album | undefined } {
  const entry: AlbumItem = {
    messageId: item.messageId,
    at: now,
    ...(item.candidate ? { candidate: item.candidate } : {}),
    ...(item.refused ? { refused: item.refused } : {}),
    ...(item.caption ? { caption: item.caption } : {}),
  };
  const key = String(item.updateId);
  if (!album) {
    return {
      outcome: "opened",
      album: {
        chatId: item.chatId,
        mediaGroupId: item.mediaGroupId,
        userId: item.userId,
        state: "collecting",
        items: { [key]: entry },
        firstAt: now,
        lastAt: now,
        checks: 1,
        late: [],
      },
    };
  }
  if (album.items[key] || album.late.includes(item.updateId))
    return { outcome: "duplicate", album: undefined };
  if (album.state !== "collecting") {
    return { outcome: "late", album: { ...album, late: [...album.late, item.updateId] } };
  }
  return {
    outcome: "added",
    album: { ...album, items: { ...album.items, [key]: entry }, lastAt: Math.max(album.lastAt, now) },
  };
}

export type CheckDecision =
  | { action: "wait"; until: number; album: Album }
  | { action: "close"; album: Album }
  /** Closed by someone else, or answered: nothing for this check to do. */
  | { action: "none" }
  /** Closed, but its owner's lease ran out: take the turn over (redelivery). */
  | { action: "resume"; album: Album };

/**
 * What a check task does at `now`: re-arm for later (debounce), close the album and own its
 * turn, or nothing. Closing sets the turn key and the owner's lease in the same write.
 */
export function checkAlbum(
  album: Album,
  now: number,
  owner: string,
  leaseMs: number,
  window: AlbumWindow = ALBUM_WINDOW,
): CheckDecision {
  if (album.state === "closed") {
    return (album.leaseUntil ?? 0) <= now
      ? { action: "resume", album: { ...album, owner, leaseUntil: now + leaseMs } }
      : { action: "none" };
  }
  if (album.state !== "collecting") return { action: "none" };
  const closeAt = Math.min(album.lastAt + window.quietMs, album.firstAt + window.capMs);
  if (now < closeAt) return { action: "wait", until: closeAt, album: { ...album, checks: album.checks + 1 } };
  const ids = Object.keys(album.items).map(Number);
  return {
    action: "close",
    album: { ...album, state: "closed", turnUpdateId: Math.min(...ids), owner, leaseUntil: now + leaseMs },
  };
}

/** The album's items in the order the user sent them, and its caption(s). */
export function albumContent(album: Album): { items: AlbumItem[]; caption: string } {
  const items = Object.values(album.items).sort((a, b) => a.messageId - b.messageId);
  const caption = items
    .map((i) => i.caption?.trim())
    .filter((c): c is string => !!c)
    .join("\n\n");
  return { items, caption };
}

/**
 * Cloud Tasks id of check number `seq`: a hash, because sequential or shared prefixes slow a
 * queue down, and a fixed name makes a repeated enqueue of the same check a no-op.
 */
export function checkTaskId(chatId: number, mediaGroupId: string, seq: number): string {
  return createHash("sha256")
    .update(`album:${albumKey(chatId, mediaGroupId)}:${seq}`)
    .digest("hex");
}
