import { MediaError } from "./errors.js";
import type { MediaLimits } from "./limits.js";

export interface PreparedText {
  readonly kind: "text";
  readonly mediaType: "text/plain";
  readonly text: string;
  readonly sourceBytes: number;
}

// Control characters other than tab, newline, form feed, carriage return and escape (ANSI
// colour codes in logs). A file with more than a few of them is binary.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0001-\u0008\u000b\u000e-\u001a\u001c-\u001f\u007f]/g;
const MAX_CONTROL_RATIO = 0.05;

/**
 * A file with no binary signature, read as UTF-8 text (plain text, Markdown, CSV, JSON, source
 * code). Refused when it only claims to be text: a NUL byte, invalid UTF-8 or mostly control
 * characters. A UTF-8 byte order mark is dropped.
 */
export function decodeTextFile(bytes: Uint8Array, limits: Pick<MediaLimits, "textMaxChars">): PreparedText {
  if (bytes.byteLength === 0) throw new MediaError("empty_file", "file is empty");
  if (bytes.includes(0)) throw new MediaError("not_text", "file has NUL bytes", { check: "nul" });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new MediaError("not_text", "file is not valid UTF-8", { check: "utf8" });
  }
  if (text.trim().length === 0) throw new MediaError("empty_file", "file has only whitespace");
  const controls = text.match(CONTROL)?.length ?? 0;
  if (controls > text.length * MAX_CONTROL_RATIO) {
    throw new MediaError("not_text", "file is mostly control characters", { check: "control" });
  }
  if (text.length > limits.textMaxChars) {
    throw new MediaError("text_too_long", "text file too long", {
      chars: text.length,
      limitChars: limits.textMaxChars,
    });
  }
  return { kind: "text", mediaType: "text/plain", text, sourceBytes: bytes.byteLength };
}
