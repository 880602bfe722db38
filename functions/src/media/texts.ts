import { t } from "../i18n/catalogue.js";
import type { Locale } from "../i18n/locale.js";
import type { MediaError, MediaRefusal } from "./errors.js";
import { PDF_MAX_PAGES_PER_REQUEST } from "./limits.js";

// One polite line per refusal, for the reply that replaces a model call, in the user's
// language (the texts are the media-* messages of the catalogue).

const MiB = 1024 * 1024;
const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

const TEXTS: Readonly<Record<MediaRefusal, (locale: Locale, d: MediaError["details"]) => string>> = {
  // The kind names a select expression branches on; an unknown one reads "this kind of message".
  unsupported_kind: (l, d) => t(l, "media-unsupported-kind", { kind: String(d.what ?? "") }),
  unsupported_type: (l) => t(l, "media-unsupported-type"),
  too_large: (l, d) => {
    const size = num(d.sizeBytes);
    const limit = num(d.limitBytes);
    return size !== null && limit !== null
      ? t(l, "media-too-large", { size: Math.ceil(size / MiB), limit: Math.ceil(limit / MiB) })
      : t(l, "media-too-large-unknown");
  },
  image_too_large: (l) => t(l, "media-image-too-large"),
  corrupt_image: (l) => t(l, "media-corrupt-image"),
  pdf_too_large: (l) => t(l, "media-pdf-too-large"),
  pdf_too_many_pages: (l, d) => {
    const pages = num(d.pages);
    const limit = num(d.limitPages) ?? PDF_MAX_PAGES_PER_REQUEST;
    return pages !== null
      ? t(l, "media-pdf-too-many-pages", { pages, limit })
      : t(l, "media-pdf-too-many-pages-unknown", { limit });
  },
  pdf_encrypted: (l) => t(l, "media-pdf-encrypted"),
  pdf_unreadable: (l) => t(l, "media-pdf-unreadable"),
  not_text: (l) => t(l, "media-not-text"),
  empty_file: (l) => t(l, "media-empty-file"),
  text_too_long: (l, d) => {
    const chars = num(d.chars);
    const limit = num(d.limitChars);
    return chars !== null && limit !== null
      ? t(l, "media-text-too-long", { chars, limit })
      : t(l, "media-text-too-long-unknown");
  },
  file_unavailable: (l) => t(l, "media-file-unavailable"),
  download_failed: (l) => t(l, "media-download-failed"),
  timeout: (l) => t(l, "media-timeout"),
};

/** The reply for a refused media message, in `locale`. */
export function refusalText(locale: Locale, err: MediaError): string {
  return TEXTS[err.reason](locale, err.details);
}
