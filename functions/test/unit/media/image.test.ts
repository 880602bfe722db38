import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { MediaError } from "../../../src/media/errors.js";
import { prepareImage } from "../../../src/media/image.js";
import { base64Length, IMAGE_MAX_BASE64_CHARS, mediaLimits } from "../../../src/media/limits.js";
import { claimedSizePng, encodeImage, noisePng, photoJpeg } from "../../support/media-files.js";

const limits = mediaLimits();
const decoded = (p: { data: string }) => sharp(Buffer.from(p.data, "base64")).metadata();
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(MediaError);
      return err as MediaError;
    },
  );

describe("prepareImage", () => {
  it("downscales a 3000×2000 photo to a 1568 px long edge and keeps its type", async () => {
    const jpeg = await photoJpeg(3000, 2000);
    const p = await prepareImage(jpeg, limits);
    expect(p).toMatchObject({
      kind: "image",
      mediaType: "image/jpeg",
      width: 1568,
      height: 1045,
      reencoded: true,
    });
    expect(p.sourceBytes).toBe(jpeg.byteLength);
    expect(p.data.length).toBeLessThan(base64Length(jpeg.byteLength));
    expect(await decoded(p)).toMatchObject({ format: "jpeg", width: 1568, height: 1045 });
  });

  it("sends an image already within the limits byte for byte", async () => {
    for (const format of ["jpeg", "png", "gif", "webp"] as const) {
      const bytes = await encodeImage(format, 320, 240);
      const p = await prepareImage(bytes, limits);
      expect(p).toMatchObject({ mediaType: `image/${format}`, width: 320, height: 240, reencoded: false });
      expect(Buffer.from(p.data, "base64").equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it("applies EXIF orientation, which the original bytes would leave to the viewer", async () => {
    const sideways = await encodeImage("jpeg", 300, 200, { orientation: 6 });
    const p = await prepareImage(sideways, limits);
    expect(p).toMatchObject({ width: 200, height: 300, reencoded: true });
    expect((await decoded(p)).orientation).toBeUndefined();
  });

  it("re-encodes an image within 1568 px whose base64 is over the per-image limit", async () => {
    const noisy = await noisePng(1500, 1500);
    expect(base64Length(noisy.byteLength)).toBeGreaterThan(IMAGE_MAX_BASE64_CHARS);
    const p = await prepareImage(noisy, limits);
    expect(p.data.length).toBeLessThanOrEqual(IMAGE_MAX_BASE64_CHARS);
    expect(["image/webp", "image/jpeg"]).toContain(p.mediaType);
    expect(p).toMatchObject({ width: 1500, height: 1500, reencoded: true });
  });

  it("refuses an image that stays over the limit after every fallback", async () => {
    const noisy = await noisePng(600, 600);
    const err = await refusal(prepareImage(noisy, { ...limits, imageMaxBase64Chars: 10_000 }));
    expect(err).toMatchObject({ reason: "image_too_large", details: { limitChars: 10_000 } });
  });

  it("refuses a truncated or damaged image as corrupt instead of storing it", async () => {
    const jpeg = await encodeImage("jpeg", 400, 300);
    const truncated = jpeg.subarray(0, Math.floor(jpeg.byteLength / 2));
    expect(await refusal(prepareImage(truncated, limits))).toMatchObject({
      reason: "corrupt_image",
      details: { stage: "decode" },
    });
    const png = Buffer.from(await encodeImage("png", 300, 200));
    png[png.indexOf("IDAT") + 10]! ^= 0xff; // damaged compressed data (and CRC mismatch)
    expect(await refusal(prepareImage(png, limits))).toMatchObject({ reason: "corrupt_image" });
    const noHeader = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const err = await refusal(prepareImage(noHeader, limits));
    expect(err).toMatchObject({ reason: "corrupt_image", details: { stage: "header" } });
    expect(err.cause).toMatchObject({ name: expect.any(String), message: expect.any(String) });
  });

  it("refuses a small file that claims an enormous canvas before decoding it", async () => {
    const bomb = claimedSizePng(20_000, 20_000);
    expect(bomb.byteLength).toBeLessThan(200);
    const err = await refusal(prepareImage(bomb, limits));
    expect(err).toMatchObject({ reason: "image_too_large", details: { width: 20_000, height: 20_000 } });
  });

  it("takes the first frame of an animated GIF that must be downscaled", async () => {
    // Three 2000×400 frames of different colours.
    const [w, h] = [2000, 1200];
    const px = Buffer.alloc(w * h * 3);
    for (let i = 0; i < px.length; i += 3) px[i] = Math.floor(i / 3 / w / 400) * 100;
    const animated = await sharp(px, { raw: { width: w, height: h, channels: 3, pageHeight: 400 } })
      .gif()
      .toBuffer();
    expect((await sharp(animated).metadata()).pages).toBe(3);
    const p = await prepareImage(new Uint8Array(animated), limits);
    expect(p).toMatchObject({ mediaType: "image/gif", width: 1568, height: 314, reencoded: true });
    expect((await decoded(p)).pages ?? 1).toBe(1);
  });
});
