import type { Sharp, SharpOptions } from "sharp";
import type { ImageMediaType } from "./detect.js";
import { MediaError, summarize } from "./errors.js";
import { base64Length, type MediaLimits } from "./limits.js";

export interface PreparedImage {
  readonly kind: "image";
  readonly mediaType: ImageMediaType;
  /** Base64, what the Messages API takes; a string so cached values cannot be mutated. */
  readonly data: string;
  readonly width: number;
  readonly height: number;
  /** Bytes received from Telegram. */
  readonly sourceBytes: number;
  /** False when the original bytes are sent unchanged. */
  readonly reencoded: boolean;
}

type ImageLimits = Pick<MediaLimits, "imageMaxBase64Chars" | "imageMaxEdgePx" | "imageMaxInputPixels">;

type SharpFactory = (input: Uint8Array, options?: SharpOptions) => Sharp;
let sharpModule: Promise<SharpFactory> | undefined;

/**
 * sharp loads libvips (a native library) on first use, not at import, so a cold start that
 * serves text pays nothing for it. Its operation cache is off: every input is a new file,
 * so caching only holds memory.
 */
export function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import("sharp").then(({ default: sharp }) => {
    sharp.cache(false);
    return sharp;
  });
  return sharpModule;
}

const FORMAT_TYPES: Readonly<Record<string, ImageMediaType>> = {
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
};

// Quality 85 is visually lossless for a model that sees at most 1568 px; the fallbacks trade
// quality for size only when an image would otherwise be refused.
const ENCODE: Readonly<Record<ImageMediaType, (s: Sharp) => Sharp>> = {
  "image/jpeg": (s) => s.jpeg({ quality: 85 }),
  "image/png": (s) => s.png({ compressionLevel: 6 }),
  "image/gif": (s) => s.gif(),
  "image/webp": (s) => s.webp({ quality: 85 }),
};
const FALLBACKS: ReadonlyArray<{ mediaType: ImageMediaType; encode: (s: Sharp) => Sharp }> = [
  { mediaType: "image/webp", encode: (s) => s.webp({ quality: 80 }) },
  { mediaType: "image/jpeg", encode: (s) => s.flatten({ background: "#ffffff" }).jpeg({ quality: 70 }) },
  { mediaType: "image/jpeg", encode: (s) => s.flatten({ background: "#ffffff" }).jpeg({ quality: 50 }) },
];

const corrupt = (stage: string, err: unknown) =>
  new MediaError("corrupt_image", "image could not be decoded", { stage }, summarize(err, []));

/**
 * Makes an image acceptable to the model: long edge at most 1568 px, EXIF orientation applied,
 * base64 within the per-image limit, one of the four media types. An image already within all
 * of that is sent as received (after a cheap full decode, so a truncated file is refused here
 * instead of failing every later request that re-attaches it).
 */
export async function prepareImage(bytes: Uint8Array, limits: ImageLimits): Promise<PreparedImage> {
  const sharp = await loadSharp();
  // failOn "error": refuse truncated or broken data, tolerate the warnings real phones produce.
  const input = (): Sharp =>
    sharp(bytes, { failOn: "error", limitInputPixels: limits.imageMaxInputPixels, animated: false });

  let meta: Awaited<ReturnType<Sharp["metadata"]>>;
  try {
    // Header only (no pixels decoded), so the pixel limit is ours to check below, as a refusal
    // with the dimensions rather than sharp's "exceeds pixel limit" error.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw corrupt("header", err);
  }
  const mediaType = meta.format ? FORMAT_TYPES[meta.format] : undefined;
  if (!mediaType) {
    throw new MediaError("unsupported_type", "image format not supported", { format: meta.format ?? "" });
  }
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (width <= 0 || height <= 0) throw corrupt("header", new Error(`dimensions ${width}x${height}`));
  if (width * height > limits.imageMaxInputPixels) {
    throw new MediaError("image_too_large", "image has too many pixels", {
      width,
      height,
      limitPixels: limits.imageMaxInputPixels,
    });
  }

  const rotate = (meta.orientation ?? 1) > 1;
  const resize = Math.max(width, height) > limits.imageMaxEdgePx;
  const fits = base64Length(bytes.byteLength) <= limits.imageMaxBase64Chars;
  if (!rotate && !resize && fits) {
    try {
      // JPEG decodes at 1/8 scale for this (shrink-on-load), so the check costs a few ms.
      await input().resize(64, 64, { fit: "inside" }).raw().toBuffer();
    } catch (err) {
      throw corrupt("decode", err);
    }
    return {
      kind: "image",
      mediaType,
      data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
      width,
      height,
      sourceBytes: bytes.byteLength,
      reencoded: false,
    };
  }

  const pipeline = (): Sharp => {
    let s = input().rotate();
    if (resize) {
      s = s.resize({
        width: limits.imageMaxEdgePx,
        height: limits.imageMaxEdgePx,
        fit: "inside",
        withoutEnlargement: true,
      });
    }
    return s;
  };
  const attempts = [{ mediaType, encode: ENCODE[mediaType] }, ...FALLBACKS];
  let last = 0;
  for (const attempt of attempts) {
    let out: { data: Buffer; info: { width: number; height: number } };
    try {
      out = await attempt.encode(pipeline()).toBuffer({ resolveWithObject: true });
    } catch (err) {
      throw corrupt("decode", err);
    }
    last = base64Length(out.data.byteLength);
    if (last <= limits.imageMaxBase64Chars) {
      return {
        kind: "image",
        mediaType: attempt.mediaType,
        data: out.data.toString("base64"),
        width: out.info.width,
        height: out.info.height,
        sourceBytes: bytes.byteLength,
        reencoded: true,
      };
    }
  }
  throw new MediaError("image_too_large", "image over the model's limit after re-encoding", {
    base64Chars: last,
    limitChars: limits.imageMaxBase64Chars,
  });
}
