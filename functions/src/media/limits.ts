import { z } from "zod";
import { type AlbumWindow, albumWindow } from "./album.js";

// Every number the media layer enforces, in one place. The first block is facts about the
// APIs (not settings); the second is the settings, shaped so config.ts can spread them in.

/**
 * The Messages API rejects an image whose base64 string is longer than this: "image exceeds
 * 5 MB maximum: 6275800 bytes > 5242880 bytes" is measured on the base64 text, so the raw
 * bytes may be at most 3/4 of it (3.75 MiB).
 */
export const IMAGE_MAX_BASE64_CHARS = 5 * 1024 * 1024;

/** Claude downscales anything with a longer edge itself; sending more costs latency, not quality. */
export const IMAGE_MAX_EDGE_PX = 1568;

/**
 * Decoding guard (sharp's `limitInputPixels`): a few KB of PNG can claim 20000×20000 pixels.
 * 100 MP still admits a 108 MP phone photo.
 */
export const IMAGE_MAX_INPUT_PIXELS = 100_000_000;

/** PDF support: at most 100 pages per request (all PDFs together), standard PDFs only. */
export const PDF_MAX_PAGES_PER_REQUEST = 100;

/** The API accepts at most 100 images per request for 200k-context models. */
export const IMAGES_MAX_PER_REQUEST = 100;

/**
 * The API's request limit is 32 MB for the whole body. Attached media (base64 and file text)
 * get 28 MB of it; history text is capped at well under 1 MB and the rest is tools and system.
 */
export const REQUEST_MEDIA_MAX_CHARS = 28_000_000;

/** Telegram's cloud Bot API serves getFile for files up to 20 MB. */
export const TELEGRAM_GETFILE_MAX_MB = 20;

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

/** Media settings as a zod shape: `z.object({ ...ConfigShape, ...MediaConfigShape })`. */
export const MediaConfigShape = {
  /** Largest file accepted from Telegram; refused from `file_size` before any download. */
  MEDIA_MAX_MB: int(TELEGRAM_GETFILE_MAX_MB, 1, TELEGRAM_GETFILE_MAX_MB),
  /** Media of this many most recent media turns go back to the model; older ones become placeholders. */
  MEDIA_TURNS_KEPT: int(3, 0, 20),
  /** L1 byte cache of prepared media (base64 and text), per instance. */
  MEDIA_CACHE_MAX_MB: int(48, 1, 1024),
  /** A text file longer than this is refused (about 4 characters per token). */
  MEDIA_TEXT_MAX_CHARS: int(100_000, 1, 1_000_000),
  /**
   * Media (base64 and file text, in millions of characters) the model requests of one instance
   * may carry at once; a turn over it waits for its turn (typing shown) until its deadline.
   * Each character is held about three times while a request is in flight (the prepared
   * string, the JSON body, the bytes sent): with 48, 20 concurrent 10 MB PDFs peak at 425–465 MiB
   * of the function's 1 GiB (`npm run bench`, Fig 9). A single request carries at most 28.
   */
  MEDIA_INFLIGHT_MAX_MB: int(48, 28, 1024),
  /**
   * An album (media group) closes once no item of it arrived for this long (at the latest five
   * times this after its first item); an item after that gets a turn of its own. Items reach us
   * one after another, spaced by our own answer time, so a slower deployment wants more.
   */
  ALBUM_QUIET_MS: int(2_000, 500, 60_000),
};
export const MediaConfigSchema = z.object(MediaConfigShape);
export type MediaConfig = z.output<typeof MediaConfigSchema>;

export interface MediaLimits {
  maxFileBytes: number;
  turnsKept: number;
  cacheMaxBytes: number;
  textMaxChars: number;
  imageMaxBase64Chars: number;
  imageMaxEdgePx: number;
  imageMaxInputPixels: number;
  pdfMaxPages: number;
  requestMediaMaxChars: number;
  requestMaxImages: number;
  /** In-flight media budget of one instance, in characters (MEDIA_INFLIGHT_MAX_MB). */
  inflightMaxChars: number;
  /** When an album closes (ALBUM_QUIET_MS). */
  albumWindow: AlbumWindow;
}

const MB = 1024 * 1024;

/** Limits from validated settings (or the defaults, for tests and the bench). */
export function mediaLimits(config: Partial<MediaConfig> = {}): MediaLimits {
  const c = MediaConfigSchema.parse(config);
  return {
    maxFileBytes: c.MEDIA_MAX_MB * MB,
    turnsKept: c.MEDIA_TURNS_KEPT,
    cacheMaxBytes: c.MEDIA_CACHE_MAX_MB * MB,
    textMaxChars: c.MEDIA_TEXT_MAX_CHARS,
    imageMaxBase64Chars: IMAGE_MAX_BASE64_CHARS,
    imageMaxEdgePx: IMAGE_MAX_EDGE_PX,
    imageMaxInputPixels: IMAGE_MAX_INPUT_PIXELS,
    pdfMaxPages: PDF_MAX_PAGES_PER_REQUEST,
    requestMediaMaxChars: REQUEST_MEDIA_MAX_CHARS,
    requestMaxImages: IMAGES_MAX_PER_REQUEST,
    inflightMaxChars: c.MEDIA_INFLIGHT_MAX_MB * 1_000_000,
    albumWindow: albumWindow(c.ALBUM_QUIET_MS),
  };
}

/** Length of the base64 text for `bytes` raw bytes (with padding). */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}
