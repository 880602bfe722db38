import { crc32, deflateSync } from "node:zlib";
import { PDFDocument } from "pdf-lib";
import sharp from "sharp";
import { photoPixels, prng } from "../../devtools/photo-pixels.js";

// Test inputs made on the fly: no binary fixtures in the repository.

export { photoPixels, prng };

/** A photo-like JPEG (a 3000×2000 one is about 1.5–2.5 MB at quality 90). */
export async function photoJpeg(
  width: number,
  height: number,
  options: { quality?: number; seed?: number } = {},
) {
  return new Uint8Array(
    await sharp(photoPixels(width, height, options.seed), { raw: { width, height, channels: 3 } })
      .jpeg({ quality: options.quality ?? 90 })
      .toBuffer(),
  );
}

export async function encodeImage(
  format: "jpeg" | "png" | "gif" | "webp",
  width: number,
  height: number,
  options: { orientation?: number; seed?: number } = {},
): Promise<Uint8Array> {
  let s = sharp(photoPixels(width, height, options.seed), { raw: { width, height, channels: 3 } });
  if (options.orientation) s = s.withMetadata({ orientation: options.orientation });
  return new Uint8Array(await s.toFormat(format).toBuffer());
}

/** Uniform noise: incompressible, so a PNG of it is as large as its pixels. */
export async function noisePng(width: number, height: number, seed = 7): Promise<Uint8Array> {
  const rand = prng(seed);
  const px = Buffer.alloc(width * height * 3);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(rand() * 256);
  return new Uint8Array(
    await sharp(px, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A tiny PNG whose header claims width×height (a decompression-bomb shape). */
export function claimedSizePng(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk("IHDR", ihdr),
      pngChunk("IDAT", deflateSync(Buffer.alloc(16))),
      pngChunk("IEND", Buffer.alloc(0)),
    ]),
  );
}

export async function pdfWithPages(
  pages: number,
  options: { objectStreams?: boolean } = {},
): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < pages; i++) doc.addPage([200, 200]).drawText(`page ${i + 1}`, { x: 20, y: 100 });
  return doc.save({ useObjectStreams: options.objectStreams ?? false });
}

/**
 * A PDF whose trailer names an /Encrypt dictionary, as every encrypted PDF's does (owner-only
 * "permissions" encryption included). The strings are not really encrypted: the check under
 * test must refuse on the dictionary, without a password attempt.
 */
export async function encryptedPdf(): Promise<Uint8Array> {
  const text = Buffer.from(await pdfWithPages(2)).toString("latin1");
  const marked = text.replace(
    "trailer\n<<",
    "trailer\n<<\n/Encrypt << /Filter /Standard /V 1 /R 2 /O (owner) /U (user) /P -44 >>",
  );
  if (marked === text) throw new Error("pdf-lib output changed: no trailer to mark");
  return new Uint8Array(Buffer.from(marked, "latin1"));
}

/** The first bytes of an MP4 / HEIC container (ISO BMFF `ftyp` box). */
export function isoBmff(brand: string): Uint8Array {
  const box = Buffer.alloc(64);
  box.writeUInt32BE(24, 0);
  box.write(`ftyp${brand}`, 4, "latin1");
  box.writeUInt32BE(0, 12);
  box.write(`${brand}mp41`, 16, "latin1");
  return new Uint8Array(box);
}
