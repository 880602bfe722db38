import { MediaError } from "./errors.js";

// What a file is, from its bytes (file-type's magic numbers), never from its name or the MIME
// type Telegram reports: both come from the sender's device and can say anything.

export const IMAGE_MEDIA_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"] as const;
export type ImageMediaType = (typeof IMAGE_MEDIA_TYPES)[number];

export type Detected =
  | { kind: "image"; mediaType: ImageMediaType }
  | { kind: "pdf"; mediaType: "application/pdf" }
  /** No binary signature: possibly text; decodeTextFile decides. */
  | { kind: "text" };

// Signatures file-type reports for formats that are text we can read as such.
const TEXT_SIGNATURES: ReadonlySet<string> = new Set(["application/xml"]);
// An animated PNG is a valid PNG to any PNG decoder (its first frame).
const ALIASES: Readonly<Record<string, ImageMediaType>> = { "image/apng": "image/png" };

let fileType: Promise<typeof import("file-type")> | undefined;

/**
 * Classifies by signature. A recognised format we do not read (video, archive, office file,
 * HEIC …) is refused here, so the caller can stop a download after its first 4 KB.
 */
export async function detectType(bytes: Uint8Array): Promise<Detected> {
  // Loaded on first use: the function module stays light at cold start.
  fileType ??= import("file-type");
  const { fileTypeFromBuffer } = await fileType;
  const found = await fileTypeFromBuffer(bytes);
  if (!found || TEXT_SIGNATURES.has(found.mime)) return { kind: "text" };
  const image = ALIASES[found.mime] ?? found.mime;
  if ((IMAGE_MEDIA_TYPES as readonly string[]).includes(image)) {
    return { kind: "image", mediaType: image as ImageMediaType };
  }
  if (found.mime === "application/pdf") return { kind: "pdf", mediaType: "application/pdf" };
  throw new MediaError("unsupported_type", "file type not supported", {
    detectedType: found.mime,
    detectedExt: found.ext,
  });
}
