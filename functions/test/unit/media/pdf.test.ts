import { describe, expect, it } from "vitest";
import { MediaError } from "../../../src/media/errors.js";
import { mediaLimits } from "../../../src/media/limits.js";
import { preparePdf } from "../../../src/media/pdf.js";
import { encryptedPdf, pdfWithPages } from "../../support/media-files.js";

const limits = mediaLimits();
const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaError);
  return err as MediaError;
};

describe("preparePdf", () => {
  it("counts pages and passes the file through unchanged as base64", async () => {
    for (const objectStreams of [false, true]) {
      const bytes = await pdfWithPages(3, { objectStreams });
      const p = await preparePdf(bytes, limits);
      expect(p).toMatchObject({
        kind: "pdf",
        mediaType: "application/pdf",
        pages: 3,
        sourceBytes: bytes.byteLength,
      });
      expect(Buffer.from(p.data, "base64").equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it("accepts 100 pages and refuses 101 with the count for the reply", async () => {
    expect((await preparePdf(await pdfWithPages(100), limits)).pages).toBe(100);
    const err = await refusal(preparePdf(await pdfWithPages(101), limits));
    expect(err).toMatchObject({ reason: "pdf_too_many_pages", details: { pages: 101, limitPages: 100 } });
  });

  it("refuses any encrypted PDF, owner-password-only included", async () => {
    expect(await refusal(preparePdf(await encryptedPdf(), limits))).toMatchObject({
      reason: "pdf_encrypted",
    });
  });

  it("refuses unreadable PDFs", async () => {
    const whole = await pdfWithPages(4);
    for (const bad of [
      Buffer.from("%PDF-1.7\nnot really a pdf"),
      Buffer.from("hello"),
      whole.subarray(0, Math.floor(whole.byteLength / 3)),
    ]) {
      expect(await refusal(preparePdf(bad, limits))).toMatchObject({ reason: "pdf_unreadable" });
    }
  });

  it("refuses a PDF whose base64 would not fit the request's media budget", async () => {
    const bytes = await pdfWithPages(2);
    const err = await refusal(preparePdf(bytes, { ...limits, requestMediaMaxChars: 400 }));
    expect(err).toMatchObject({
      reason: "pdf_too_large",
      details: { sizeBytes: bytes.byteLength, limitBytes: 300 },
    });
  });
});
