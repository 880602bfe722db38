// Typed refusals and failures of the media layer. Callers branch on `reason` (and
// `transient`), never on message text, the way grammY's GrammyError carries data.
//
// A Bot API file URL embeds the bot token (`/file/bot<token>/<path>`), so nothing here may
// carry a URL or a raw error from the download: `cause` is a redacted summary, never the
// original error object (whose message, stack or `cause` chain could include the URL).

export type MediaRefusal =
  /** Voice, audio, video, video notes, stickers, animations: said in one line, no model call. */
  | "unsupported_kind"
  /** The bytes are not a JPEG/PNG/GIF/WebP image, a PDF or UTF-8 text. */
  | "unsupported_type"
  /** Over MEDIA_MAX_MB (known from Telegram's file_size, or found while downloading). */
  | "too_large"
  /** Still over the model's per-image limit after downscaling and re-encoding. */
  | "image_too_large"
  /** sharp could not decode the image. */
  | "corrupt_image"
  | "pdf_too_large"
  | "pdf_too_many_pages"
  | "pdf_encrypted"
  | "pdf_unreadable"
  /** Claims to be text (no binary signature) but has NUL bytes or invalid UTF-8. */
  | "not_text"
  | "empty_file"
  | "text_too_long"
  /** Telegram answered getFile or the download with a 4xx (expired, unknown or too big). */
  | "file_unavailable"
  /** Network error, 5xx or a truncated body: worth another try. */
  | "download_failed"
  /** The request's deadline fired while fetching or preparing. */
  | "timeout";

export type MediaErrorDetails = Readonly<Record<string, string | number | boolean | undefined>>;

/** A redacted, serialisable summary of an underlying error. */
export interface CauseSummary {
  name: string;
  code?: string | number;
  message: string;
}

const TRANSIENT: ReadonlySet<MediaRefusal> = new Set(["download_failed"]);

export class MediaError extends Error {
  override readonly name = "MediaError";
  readonly transient: boolean;
  constructor(
    readonly reason: MediaRefusal,
    message: string,
    readonly details: MediaErrorDetails = {},
    cause?: CauseSummary,
  ) {
    super(message, cause ? { cause } : undefined);
    this.transient = TRANSIENT.has(reason);
  }

  toJSON() {
    return {
      name: this.name,
      reason: this.reason,
      transient: this.transient,
      message: this.message,
      details: this.details,
      cause: this.cause,
    };
  }
}

export const isMediaError = (err: unknown): err is MediaError => err instanceof MediaError;

/** Bot API paths that carry a token: /bot<token>/<method> and /file/bot<token>/<path>. */
const TOKEN_PATH = /\/(file\/)?bot[^/\s"'?#]+/g;

/** Removes the given secrets and any Bot API token path from text. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.replaceAll(s, "[redacted]");
  return out.replace(TOKEN_PATH, (_m, file: string | undefined) => `/${file ?? ""}bot[redacted]`);
}

/** A redacted summary of any thrown value, walking one level of `cause` (undici puts the socket error there). */
export function summarize(err: unknown, secrets: readonly string[]): CauseSummary {
  const e = err as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown } | null;
  const name = typeof e?.name === "string" ? e.name : typeof err;
  const code = typeof e?.code === "string" || typeof e?.code === "number" ? e.code : undefined;
  let message = typeof e?.message === "string" ? e.message : String(err);
  const inner = e?.cause as { code?: unknown; message?: unknown } | undefined;
  if (inner && typeof inner.message === "string") message += `: ${inner.message}`;
  const innerCode = typeof inner?.code === "string" ? inner.code : undefined;
  return {
    name: redact(name, secrets),
    ...(code !== undefined || innerCode ? { code: code ?? innerCode } : {}),
    message: redact(message, secrets).slice(0, 300),
  };
}
