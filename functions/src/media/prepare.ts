import type { Detected } from "./detect.js";
import { type PreparedImage, prepareImage } from "./image.js";
import type { MediaLimits } from "./limits.js";
import { type PreparedPdf, preparePdf } from "./pdf.js";
import { type MediaRef, safeName } from "./reference.js";
import { decodeTextFile, type PreparedText } from "./text-file.js";

export type PreparedMedia = PreparedImage | PreparedPdf | PreparedText;

/** Turns downloaded bytes of a detected type into what the model is given. */
export function prepareMedia(
  bytes: Uint8Array,
  detected: Detected,
  limits: MediaLimits,
): Promise<PreparedMedia> {
  switch (detected.kind) {
    case "image":
      return prepareImage(bytes, limits);
    case "pdf":
      return preparePdf(bytes, limits);
    case "text":
      return Promise.resolve(decodeTextFile(bytes, limits));
  }
}

/** Characters the prepared item adds to a request (base64 or text): its share of the budget. */
export function requestChars(p: PreparedMedia): number {
  return p.kind === "text" ? p.text.length : p.data.length;
}

/** Approximate bytes it holds in memory (V8 keeps base64 as one byte per char, text may need two). */
export function memoryBytes(p: PreparedMedia): number {
  return p.kind === "text" ? p.text.length * 2 : p.data.length;
}

/** A Messages API content block (structurally an Anthropic ContentBlockParam). */
export type MediaContentBlock =
  | { type: "image"; source: { type: "base64"; media_type: PreparedImage["mediaType"]; data: string } }
  | {
      type: "document";
      source: { type: "base64"; media_type: "application/pdf"; data: string };
      title?: string;
    }
  | { type: "text"; text: string };

/** The block for the model: image, PDF document, or the file's text with its name. */
export function mediaContentBlock(p: PreparedMedia, ref: Pick<MediaRef, "name">): MediaContentBlock {
  switch (p.kind) {
    case "image":
      return { type: "image", source: { type: "base64", media_type: p.mediaType, data: p.data } };
    case "pdf":
      return {
        type: "document",
        source: { type: "base64", media_type: "application/pdf", data: p.data },
        ...(ref.name ? { title: safeName(ref.name) } : {}),
      };
    case "text":
      return { type: "text", text: `<file name="${safeName(ref.name ?? "file.txt")}">\n${p.text}\n</file>` };
  }
}
