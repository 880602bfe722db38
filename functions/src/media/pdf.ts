import { MediaError, summarize } from "./errors.js";
import { base64Length, type MediaLimits } from "./limits.js";

export interface PreparedPdf {
  readonly kind: "pdf";
  readonly mediaType: "application/pdf";
  /** Base64 of the file as received (PDFs are never rewritten). */
  readonly data: string;
  readonly pages: number;
  readonly sourceBytes: number;
}

type PdfLimits = Pick<MediaLimits, "pdfMaxPages" | "requestMediaMaxChars">;

let pdfLib: Promise<typeof import("pdf-lib")> | undefined;

/**
 * Checks a PDF the way the Messages API will: a standard PDF (no encryption of any kind, since
 * the API asks for "no passwords/encryption"), at most 100 pages, base64 within the request.
 *
 * pdf-lib, not pdfjs-dist: one call in plain JavaScript (no worker or canvas set-up under
 * Node), and it reports any /Encrypt dictionary (`isEncrypted`), including owner-password-only
 * files that pdf.js opens without complaint. It counts pages by walking the page tree, not by
 * trusting /Count. Its last release is from 2021; what we use of it (parse, page count) is
 * stable, and a parser failure here only means a polite refusal. It warns on console about
 * objects it cannot parse; those lines carry no user data beyond object offsets.
 */
export async function preparePdf(bytes: Uint8Array, limits: PdfLimits): Promise<PreparedPdf> {
  const chars = base64Length(bytes.byteLength);
  if (chars > limits.requestMediaMaxChars) {
    throw new MediaError("pdf_too_large", "PDF over the request size limit", {
      sizeBytes: bytes.byteLength,
      limitBytes: Math.floor((limits.requestMediaMaxChars * 3) / 4),
    });
  }
  pdfLib ??= import("pdf-lib");
  const { PDFDocument, ParseSpeeds } = await pdfLib;
  let pages: number;
  try {
    // ignoreEncryption: load anyway and read `isEncrypted` (pdf-lib's own EncryptedPDFError is
    // compiled to ES5 and cannot be told apart from other errors except by its message).
    const doc = await PDFDocument.load(bytes, {
      ignoreEncryption: true,
      updateMetadata: false,
      parseSpeed: ParseSpeeds.Fast,
    });
    if (doc.isEncrypted) throw new MediaError("pdf_encrypted", "PDF is encrypted");
    pages = doc.getPageCount();
  } catch (err) {
    if (err instanceof MediaError) throw err;
    throw new MediaError("pdf_unreadable", "PDF could not be parsed", {}, summarize(err, []));
  }
  if (pages < 1) throw new MediaError("pdf_unreadable", "PDF has no pages");
  if (pages > limits.pdfMaxPages) {
    throw new MediaError("pdf_too_many_pages", "PDF has too many pages", {
      pages,
      limitPages: limits.pdfMaxPages,
    });
  }
  return {
    kind: "pdf",
    mediaType: "application/pdf",
    data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
    pages,
    sourceBytes: bytes.byteLength,
  };
}
