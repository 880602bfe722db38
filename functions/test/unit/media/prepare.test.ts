import type Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { mediaLimits } from "../../../src/media/limits.js";
import { mediaContentBlock, memoryBytes, prepareMedia, requestChars } from "../../../src/media/prepare.js";
import { encodeImage, pdfWithPages } from "../../support/media-files.js";

const limits = mediaLimits();

describe("prepareMedia and content blocks", () => {
  it("dispatches by detected type", async () => {
    const png = await encodeImage("png", 20, 10);
    expect(await prepareMedia(png, { kind: "image", mediaType: "image/png" }, limits)).toMatchObject({
      kind: "image",
      width: 20,
    });
    expect(
      await prepareMedia(await pdfWithPages(1), { kind: "pdf", mediaType: "application/pdf" }, limits),
    ).toMatchObject({ kind: "pdf", pages: 1 });
    expect(await prepareMedia(Buffer.from("hi"), { kind: "text" }, limits)).toMatchObject({
      kind: "text",
      text: "hi",
    });
  });

  it("builds blocks the Anthropic SDK accepts, file names made safe", () => {
    const image: Anthropic.ContentBlockParam = mediaContentBlock(
      {
        kind: "image",
        mediaType: "image/gif",
        data: "R0lG",
        width: 1,
        height: 1,
        sourceBytes: 3,
        reencoded: false,
      },
      {},
    );
    expect(image).toEqual({
      type: "image",
      source: { type: "base64", media_type: "image/gif", data: "R0lG" },
    });
    const doc: Anthropic.ContentBlockParam = mediaContentBlock(
      { kind: "pdf", mediaType: "application/pdf", data: "JVBE", pages: 1, sourceBytes: 3 },
      { name: 'x"]\n.pdf' },
    );
    expect(doc).toMatchObject({ type: "document", title: "x   .pdf" });
    const text: Anthropic.ContentBlockParam = mediaContentBlock(
      { kind: "text", mediaType: "text/plain", text: "body", sourceBytes: 4 },
      { name: 'a"><b.md' },
    );
    expect(text).toEqual({ type: "text", text: '<file name="a   b.md">\nbody\n</file>' });
  });

  it("measures request characters and memory", () => {
    const t = { kind: "text", mediaType: "text/plain", text: "abc", sourceBytes: 3 } as const;
    expect([requestChars(t), memoryBytes(t)]).toEqual([3, 6]);
  });
});
