import type { PhotoSize } from "grammy/types";
import { describe, expect, it } from "vitest";
import { choosePhotoSize, classifyMessage, type MediaMessage } from "../../../src/media/classify.js";
import { mediaLimits } from "../../../src/media/limits.js";

const limits = mediaLimits();
const MB = 1024 * 1024;
const size = (w: number, h: number, bytes?: number, id = `${w}x${h}`): PhotoSize => ({
  file_id: `id-${id}`,
  file_unique_id: `u-${id}`,
  width: w,
  height: h,
  ...(bytes === undefined ? {} : { file_size: bytes }),
});
const file = { file_id: "f", file_unique_id: "u" };

describe("choosePhotoSize", () => {
  it("takes the largest size within the byte limit", () => {
    const sizes = [
      size(90, 60, 2_000),
      size(320, 213, 20_000),
      size(1280, 853, 150_000),
      size(2560, 1707, 600_000),
    ];
    expect(choosePhotoSize(sizes, 20 * MB)?.width).toBe(2560);
    expect(choosePhotoSize(sizes, 200_000)?.width).toBe(1280);
    expect(choosePhotoSize(sizes, 1_000)).toBeUndefined();
  });

  it("skips sizes with insane dimensions and accepts a size without file_size", () => {
    expect(choosePhotoSize([size(0, 10, 10), size(50_000, 10, 10), size(800, 600)], MB)?.width).toBe(800);
  });
});

describe("classifyMessage", () => {
  it("finds a photo with its caption and album id", () => {
    const msg: MediaMessage = {
      photo: [size(90, 60, 2_000), size(1280, 853, 150_000)],
      caption: "what is this?",
      media_group_id: "1357",
    };
    expect(classifyMessage(msg, limits)).toEqual({
      kind: "media",
      candidate: {
        source: "photo",
        fileId: "id-1280x853",
        fileUniqueId: "u-1280x853",
        fileSize: 150_000,
        width: 1280,
        height: 853,
      },
      caption: "what is this?",
      mediaGroupId: "1357",
    });
  });

  it("finds a document with its name and Telegram's MIME as hints", () => {
    const msg: MediaMessage = {
      document: { ...file, file_name: "report.pdf", mime_type: "application/pdf", file_size: 12_345 },
    };
    expect(classifyMessage(msg, limits)).toEqual({
      kind: "media",
      candidate: {
        source: "document",
        fileId: "f",
        fileUniqueId: "u",
        fileSize: 12_345,
        name: "report.pdf",
        mimeType: "application/pdf",
      },
    });
  });

  it.each([
    ["voice", { voice: { ...file, duration: 3 } }],
    ["audio", { audio: { ...file, duration: 3 } }],
    ["video", { video: { ...file, width: 1, height: 1, duration: 3 } }],
    ["video_note", { video_note: { ...file, length: 1, duration: 3 } }],
    [
      "sticker",
      { sticker: { ...file, type: "regular", width: 1, height: 1, is_animated: false, is_video: false } },
    ],
    // Telegram sets document too on an animation, for old clients: the animation must win.
    ["animation", { animation: { ...file, width: 1, height: 1, duration: 1 }, document: file }],
  ])("refuses %s as an unsupported kind, before any download", (what, msg) => {
    const c = classifyMessage(msg as MediaMessage, limits);
    expect(c.kind).toBe("refused");
    if (c.kind === "refused")
      expect(c.error).toMatchObject({ reason: "unsupported_kind", details: { what } });
  });

  it("refuses by Telegram's file_size before downloading", () => {
    const doc = classifyMessage({ document: { ...file, file_size: 25 * MB } }, limits);
    expect(doc).toMatchObject({
      kind: "refused",
      error: { reason: "too_large", details: { sizeBytes: 25 * MB, limitBytes: 20 * MB } },
    });
    const photo = classifyMessage({ photo: [size(2560, 1707, 3 * MB)] }, mediaLimits({ MEDIA_MAX_MB: 2 }));
    expect(photo).toMatchObject({
      kind: "refused",
      error: { reason: "too_large", details: { sizeBytes: 3 * MB } },
    });
  });

  it("skips the download of a document Telegram declares as video or audio", () => {
    const c = classifyMessage(
      { document: { ...file, mime_type: "video/mp4", file_name: "clip.mp4" } },
      limits,
    );
    expect(c).toMatchObject({ kind: "refused", error: { reason: "unsupported_type" } });
  });

  it("says none for a message without media", () => {
    expect(classifyMessage({ caption: undefined }, limits)).toEqual({ kind: "none" });
    expect(classifyMessage({ photo: [] }, limits)).toEqual({ kind: "none" });
  });
});
