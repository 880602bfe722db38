import { z } from "zod";

// What history stores for a media item: a reference, never the bytes. A Firestore document is
// at most 1 MiB and history is capped far below that, so even a small photo (100 KB of base64)
// cannot live there. Text files are references too: their content can be 100k characters.
// Telegram keeps a file_id usable for the bot indefinitely, so any item can be fetched again.

export const MEDIA_KINDS = ["photo", "image", "pdf", "text"] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

export const MediaRefSchema = z.object({
  /** photo: sent as a Telegram photo; image: an image sent as a file; pdf; text: a text file. */
  kind: z.enum(MEDIA_KINDS),
  /** For getFile (bot-specific, may change between sends of the same file). */
  fileId: z.string().min(1).max(512),
  /** Stable across bots and sends: the cache key. */
  fileUniqueId: z.string().min(1).max(128),
  /** What the model is given: image/jpeg|png|gif|webp, application/pdf or text/plain. */
  mediaType: z.string().min(1).max(64),
  /** Bytes received from Telegram. */
  size: z.number().int().nonnegative(),
  /** The document's file name (photos have none). */
  name: z.string().max(256).optional(),
});
export type MediaRef = z.infer<typeof MediaRefSchema>;

/** The block a stored user turn holds in place of an image/document/text block. */
export const MEDIA_REF_BLOCK = "telegram_media";
export const MediaRefBlockSchema = z.object({ type: z.literal(MEDIA_REF_BLOCK), ref: MediaRefSchema });
export type MediaRefBlock = z.infer<typeof MediaRefBlockSchema>;

export function mediaRefBlock(ref: MediaRef): MediaRefBlock {
  return { type: MEDIA_REF_BLOCK, ref };
}

/** Narrows a stored block; a block of this type that fails the schema is treated as not media. */
export function asMediaRef(block: { type: string }): MediaRef | undefined {
  if (block.type !== MEDIA_REF_BLOCK) return undefined;
  const parsed = MediaRefBlockSchema.safeParse(block);
  return parsed.success ? parsed.data.ref : undefined;
}

const LABEL: Readonly<Record<MediaKind, string>> = {
  photo: "photo",
  image: "image",
  pdf: "PDF",
  text: "file",
};

export type PlaceholderReason = "earlier" | "budget" | "over_request" | "unavailable";
const WHY: Readonly<Record<PlaceholderReason, string>> = {
  earlier: "sent earlier",
  budget: "sent earlier, not re-attached (request size)",
  over_request: "not attached: the files of this message exceed one request",
  unavailable: "could not be loaded again",
};

/** "[image: photo.jpg, sent earlier]": what the model sees for media it is not given again. */
export function placeholderText(ref: MediaRef, why: PlaceholderReason): string {
  const name = ref.name ? `: ${safeName(ref.name)}` : "";
  return `[${LABEL[ref.kind]}${name}, ${WHY[why]}]`;
}

/** A file name fit for a prompt: one line, no brackets or quotes that could close our framing. */
export function safeName(name: string): string {
  const cleaned = name.replace(/[\r\n\t"<>[\]]/g, " ").trim();
  return (cleaned || "file").slice(0, 120);
}
