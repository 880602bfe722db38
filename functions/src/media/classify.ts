import type { Message, PhotoSize } from "grammy/types";
import { MediaError } from "./errors.js";
import type { MediaLimits } from "./limits.js";

// The first look at a message, before anything is downloaded: is there media, is it a kind we
// read, is it small enough. Pure: the pipeline calls it on `ctx.message`.

/** Kinds that get one clear line and no model call. Order matters: see classifyMessage. */
export const UNSUPPORTED_KINDS = [
  "sticker",
  "voice",
  "video_note",
  "video",
  "audio",
  "animation",
  "paid_media",
] as const;
export type UnsupportedKind = (typeof UNSUPPORTED_KINDS)[number];

/** A file to fetch: a photo (its chosen size) or a document. */
export interface MediaCandidate {
  source: "photo" | "document";
  fileId: string;
  fileUniqueId: string;
  /** Telegram's size, when it sent one: lets a too-large file be refused before download. */
  fileSize?: number;
  /** Document file name (sender-chosen; never trusted for the type). */
  name?: string;
  /** Telegram's MIME type for a document (sender-chosen; a hint only). */
  mimeType?: string;
  width?: number;
  height?: number;
}

export type Classified =
  | { kind: "none" }
  | { kind: "refused"; error: MediaError }
  | { kind: "media"; candidate: MediaCandidate; caption?: string; mediaGroupId?: string };

export type MediaMessage = Partial<
  Pick<Message, UnsupportedKind | "photo" | "document" | "caption" | "media_group_id">
>;

// Telegram photos are at most 2560 px on a side; anything far beyond that is not a photo we want.
const PHOTO_MAX_EDGE = 10_000;

/** The largest PhotoSize within the size limit with sane dimensions, or undefined. */
export function choosePhotoSize(sizes: readonly PhotoSize[], maxBytes: number): PhotoSize | undefined {
  let best: PhotoSize | undefined;
  for (const s of sizes) {
    const sane = s.width > 0 && s.height > 0 && s.width <= PHOTO_MAX_EDGE && s.height <= PHOTO_MAX_EDGE;
    // file_size is optional in the Bot API; the download's own cap covers a missing one.
    if (!sane || (s.file_size ?? 0) > maxBytes) continue;
    if (!best || s.width * s.height > best.width * best.height) best = s;
  }
  return best;
}

const tooLarge = (sizeBytes: number, limitBytes: number) =>
  new MediaError("too_large", "file over the size limit", { sizeBytes, limitBytes });

/**
 * Classifies a message's media. Unsupported kinds are checked first: Telegram also sets
 * `document` on an animation and `photo` on a live photo, for older clients.
 */
export function classifyMessage(msg: MediaMessage, limits: Pick<MediaLimits, "maxFileBytes">): Classified {
  const extra = {
    ...(msg.caption ? { caption: msg.caption } : {}),
    ...(msg.media_group_id ? { mediaGroupId: msg.media_group_id } : {}),
  };
  for (const what of UNSUPPORTED_KINDS) {
    if (msg[what] !== undefined) {
      return {
        kind: "refused",
        error: new MediaError("unsupported_kind", `${what} is not supported`, { what }),
      };
    }
  }
  if (msg.photo && msg.photo.length > 0) {
    const size = choosePhotoSize(msg.photo, limits.maxFileBytes);
    if (!size) {
      const smallest = Math.min(...msg.photo.map((s) => s.file_size ?? Number.POSITIVE_INFINITY));
      return { kind: "refused", error: tooLarge(smallest, limits.maxFileBytes) };
    }
    return {
      kind: "media",
      candidate: {
        source: "photo",
        fileId: size.file_id,
        fileUniqueId: size.file_unique_id,
        width: size.width,
        height: size.height,
        ...(size.file_size !== undefined ? { fileSize: size.file_size } : {}),
      },
      ...extra,
    };
  }
  const doc = msg.document;
  if (doc) {
    if (doc.file_size !== undefined && doc.file_size > limits.maxFileBytes) {
      return { kind: "refused", error: tooLarge(doc.file_size, limits.maxFileBytes) };
    }
    // A declared video or audio file would be refused after its first bytes anyway; skip the fetch.
    if (doc.mime_type && /^(video|audio)\//.test(doc.mime_type)) {
      return {
        kind: "refused",
        error: new MediaError("unsupported_type", "file type not supported", { declaredType: doc.mime_type }),
      };
    }
    return {
      kind: "media",
      candidate: {
        source: "document",
        fileId: doc.file_id,
        fileUniqueId: doc.file_unique_id,
        ...(doc.file_size !== undefined ? { fileSize: doc.file_size } : {}),
        ...(doc.file_name ? { name: doc.file_name } : {}),
        ...(doc.mime_type ? { mimeType: doc.mime_type } : {}),
      },
      ...extra,
    };
  }
  return { kind: "none" };
}
