import { describe, expect, it } from "vitest";
import { detectType } from "../../../src/media/detect.js";
import { MediaError } from "../../../src/media/errors.js";
import { encodeImage, isoBmff, pdfWithPages } from "../../support/media-files.js";

describe("detectType", () => {
  it.each(["jpeg", "png", "gif", "webp"] as const)("recognises %s from its bytes", async (format) => {
    const bytes = await encodeImage(format, 40, 30);
    expect(await detectType(bytes)).toEqual({ kind: "image", mediaType: `image/${format}` });
  });

  it("recognises a PDF, and treats signature-less and XML bytes as candidate text", async () => {
    expect(await detectType(await pdfWithPages(1))).toEqual({ kind: "pdf", mediaType: "application/pdf" });
    for (const text of ["plain words\n", '{"a":1}', "a,b\n1,2\n", "# Title\n", '<?xml version="1.0"?><a/>']) {
      expect(await detectType(Buffer.from(text))).toEqual({ kind: "text" });
    }
  });

  it("goes by the bytes, not by what a name would suggest: a PNG is a PNG", async () => {
    // The caller has no name to pass: detection cannot be talked into another type.
    const png = await encodeImage("png", 10, 10);
    expect((await detectType(png)).kind).toBe("image");
    expect((await detectType(Buffer.from("%PDF-1.7\n1 0 obj"))).kind).toBe("pdf");
  });

  it.each([
    ["mp4 video", isoBmff("isom"), "mp4"],
    ["HEIC photo", isoBmff("heic"), "heic"],
    ["ogg voice", new Uint8Array([...Buffer.from("OggS"), 0, 2, ...new Array(58).fill(0)]), "ogg"],
  ])("refuses a recognised format it does not read (%s)", async (_name, bytes, type) => {
    const err = await detectType(bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toMatchObject({ reason: "unsupported_type", transient: false });
    expect((err as MediaError).details.detectedType).toContain(type);
  });
});
