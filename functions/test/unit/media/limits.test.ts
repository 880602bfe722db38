import { describe, expect, it } from "vitest";
import { z } from "zod";
import { base64Length, MediaConfigShape, mediaLimits } from "../../../src/media/limits.js";

describe("media limits", () => {
  it("defaults to Telegram's 20 MB, three media turns and the API's per-image limit", () => {
    expect(mediaLimits()).toMatchObject({
      maxFileBytes: 20 * 1024 * 1024,
      turnsKept: 3,
      imageMaxBase64Chars: 5 * 1024 * 1024,
      imageMaxEdgePx: 1568,
      pdfMaxPages: 100,
    });
  });

  it("validates settings given as strings (Firebase params) and rejects out-of-range ones", () => {
    const schema = z.object(MediaConfigShape);
    expect(schema.parse({ MEDIA_MAX_MB: "5", MEDIA_TURNS_KEPT: "0" })).toMatchObject({
      MEDIA_MAX_MB: 5,
      MEDIA_TURNS_KEPT: 0,
    });
    expect(schema.safeParse({ MEDIA_MAX_MB: "50" }).success).toBe(false);
    expect(mediaLimits({ MEDIA_MAX_MB: 5 }).maxFileBytes).toBe(5 * 1024 * 1024);
  });

  it("an album closes after ALBUM_QUIET_MS without an item, at the latest five times that after its first", () => {
    expect(mediaLimits().albumWindow).toEqual({ quietMs: 2_000, capMs: 10_000 });
    expect(mediaLimits({ ALBUM_QUIET_MS: 6000 }).albumWindow).toEqual({ quietMs: 6_000, capMs: 30_000 });
    expect(z.object(MediaConfigShape).safeParse({ ALBUM_QUIET_MS: "100" }).success).toBe(false);
  });

  it("computes base64 length with padding", () => {
    expect([0, 1, 2, 3, 4].map(base64Length)).toEqual([0, 4, 4, 4, 8]);
    expect(base64Length(3_932_160)).toBe(5 * 1024 * 1024);
  });
});
