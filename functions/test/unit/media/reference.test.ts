import { describe, expect, it } from "vitest";
import {
  asMediaRef,
  MediaRefSchema,
  mediaRefBlock,
  placeholderText,
  safeName,
} from "../../../src/media/reference.js";

// Telegram file ids are about 70-90 characters; unique ids about 15-20.
const photo = {
  kind: "photo",
  fileId: "AgACAgIAAxkBAAIBY2Zx3kL9pQq1cN4bW7fQe3m5o0vKAAJ42zEb3z9QS1y8w8b0xZ0vAQADAgADeQADNQQ",
  fileUniqueId: "AQADeNsxG98_UEt-",
  mediaType: "image/jpeg",
  size: 183_442,
} as const;

describe("media references", () => {
  it("validates a stored reference and rejects bytes smuggled in", () => {
    expect(MediaRefSchema.parse(photo)).toEqual(photo);
    expect(MediaRefSchema.safeParse({ ...photo, kind: "voice" }).success).toBe(false);
    expect(MediaRefSchema.safeParse({ ...photo, fileId: "x".repeat(600) }).success).toBe(false);
    // Unknown keys (say, a data field) are stripped, never stored.
    expect(MediaRefSchema.parse({ ...photo, data: "AAAA" })).not.toHaveProperty("data");
  });

  it("costs a couple of hundred bytes in history", () => {
    const stored = JSON.stringify(mediaRefBlock({ ...MediaRefSchema.parse(photo) }));
    expect(stored.length).toBeLessThan(300);
    const doc = JSON.stringify(
      mediaRefBlock({ ...photo, kind: "pdf", mediaType: "application/pdf", name: "Q3 report.pdf" }),
    );
    expect(doc.length).toBeLessThan(330);
  });

  it("reads reference blocks back and ignores anything else", () => {
    expect(asMediaRef(mediaRefBlock(MediaRefSchema.parse(photo)))).toEqual(photo);
    expect(asMediaRef({ type: "text" })).toBeUndefined();
    expect(asMediaRef({ type: "telegram_media" })).toBeUndefined();
  });

  it("words placeholders with kind and safe name", () => {
    const p = MediaRefSchema.parse(photo);
    expect(placeholderText(p, "earlier")).toBe("[photo, sent earlier]");
    expect(placeholderText({ ...p, kind: "image", name: "photo.jpg" }, "earlier")).toBe(
      "[image: photo.jpg, sent earlier]",
    );
    expect(placeholderText({ ...p, kind: "text", name: "a]\nb.txt" }, "unavailable")).toBe(
      "[file: a  b.txt, could not be loaded again]",
    );
    expect(safeName("   ")).toBe("file");
    expect(safeName("x".repeat(300))).toHaveLength(120);
  });
});
