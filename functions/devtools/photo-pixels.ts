// Photo-like test inputs made on the fly (no binary fixtures in the repository), shared by the
// tests (test/support/media-files.ts) and the media bench (scripts/bench/media.mjs).

/** Deterministic pseudo-random numbers (mulberry32), so generated images are the same every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Raw RGB pixels that compress like a photo: smooth gradients and shapes plus sensor-like
 * noise (a flat or pure-noise image would be unrealistically small or large as JPEG).
 */
export function photoPixels(width: number, height: number, seed = 1): Buffer {
  const rand = prng(seed);
  const px = Buffer.alloc(width * height * 3);
  const cx = width * (0.3 + rand() * 0.4);
  const cy = height * (0.3 + rand() * 0.4);
  const r = Math.min(width, height) / 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inDisc = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      const n = (rand() - 0.5) * 24;
      px[i] = clamp((inDisc ? 200 : (x / width) * 180) + n + 20 * Math.sin(y / 37));
      px[i + 1] = clamp((inDisc ? 80 : (y / height) * 160) + n + 15 * Math.cos(x / 53));
      px[i + 2] = clamp((inDisc ? 60 : 120 + 60 * Math.sin((x + y) / 200)) + n);
    }
  }
  return px;
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
