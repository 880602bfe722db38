// Media (issue 11), run by bench.mjs (`npm run bench`), in three parts:
//
// 1. Overhead of a photo turn before the model request, through the whole app (webhook, claim,
//    fetch + prepare, request builder) against the Firestore emulator: a text turn, a photo turn
//    (cold: the photo fetched from the loopback Bot API and prepared) and a text follow-up that
//    re-attaches the photo (warm: from the L1 byte cache), in the same chats of the same run.
// 2. Peak RSS of one process given 20 concurrent 10 MB uploads (images, then PDFs) as turns do
//    it: ingest (download gate), weigh, then under the in-flight media budget re-attach the
//    media and send the model request through the real Anthropic SDK to the loopback Messages
//    API, which holds each request for a while (a model thinking). Measured in a fresh child
//    process; the fakes run in the parent, so their copies of the files are not counted.
//    With the default budget, and without one (what the app did before it had a budget).
// 3. Bytes a media reference costs in stored history.
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cell, na, num, percentile, row } from "./report.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const functionsDir = join(here, "..", "..");
const lib = (p) => pathToFileURL(join(functionsDir, "lib", "media", p)).href;
const TOKEN = "424242:bench-media-token";
const MB = 1024 * 1024;
const FUNCTION_MEMORY_MIB = 1024; // index.ts
const RSS_BUDGET_MIB = FUNCTION_MEMORY_MIB / 2; // "well under": half
const MODEL_HOLD_MS = 1500;
async function mediaStack(apiRoot, cacheMaxBytes, concurrency) {
  const [{ Api }, { createMediaStore }, { PreparedMediaCache }, files, { mediaLimits }] = await Promise.all([
    import("grammy"),
    import(lib("media-store.js")),
    import(lib("cache.js")),
    import(lib("telegram-files.js")),
    import(lib("limits.js")),
  ]);
  const limits = mediaLimits();
  const cache = new PreparedMediaCache({ maxBytes: cacheMaxBytes ?? limits.cacheMaxBytes });
  const source = files.createTelegramFileSource({
    api: files.grammyFileApi(new Api(TOKEN, { apiRoot })),
    token: TOKEN,
    apiRoot,
  });
  return {
    store: createMediaStore({ files: source, cache, limits, ...(concurrency ? { concurrency } : {}) }),
    cache,
    limits,
  };
}

/**
 * This process's own peak RSS. Not resourceUsage().maxRSS: Linux carries ru_maxrss across
 * fork+exec, so a child would report its parent's size (here, the fake holding every file).
 * VmHWM belongs to the process's current address space.
 */
function peakRssBytes(sampled) {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // Not Linux: fall through to the sampled peak.
  }
  return sampled;
}

// ---- child: 20 concurrent media turns, report peak RSS ------------------------------------
if (process.argv[2] === "--child") {
  const { apiRoot, anthropicUrl, candidates, budgetMb } = JSON.parse(process.argv[3]);
  const { store, cache, limits } = await mediaStack(apiRoot);
  const [{ Gate }, { attachMedia, mediaWeight }, { mediaRefBlock }, { default: Anthropic }] =
    await Promise.all([
      import(lib("gate.js")),
      import(lib("request.js")),
      import(lib("reference.js")),
      import("@anthropic-ai/sdk"),
    ]);
  // The function's own process: media libraries plus the SDKs every turn loads, so the
  // baseline is the function's, not a bare Node's.
  await Promise.all([import("sharp"), import("pdf-lib"), import("file-type")]);
  const { Firestore } = await import("@google-cloud/firestore");
  new Firestore({ projectId: "demo-bench" });
  const client = new Anthropic({ apiKey: "bench", baseURL: anthropicUrl, maxRetries: 0, timeout: 120_000 });
  const inFlight = new Gate(budgetMb ? budgetMb * 1_000_000 : Number.MAX_SAFE_INTEGER);
  global.gc?.();
  const before = process.memoryUsage().rss;
  // Sampled to attribute the peak (JS heap vs ArrayBuffers vs native), not to time anything.
  let peak = process.memoryUsage();
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > peak.rss) peak = m;
  }, 5);
  const started = performance.now();
  let waited = 0;
  const results = await Promise.allSettled(
    candidates.map(async (c) => {
      const signal = AbortSignal.timeout(240_000);
      // As a turn does (text-turn.ts, turn.ts): ingest keeps only the reference (the prepared
      // bytes stay in L1), then the request builder attaches the media again.
      const { ref } = await store.ingest(c, signal);
      const messages = [{ role: "user", content: [mediaRefBlock(ref), { type: "text", text: "summarise" }] }];
      const weight = mediaWeight(messages, { turnsKept: limits.turnsKept, limits });
      if (inFlight.running + weight > inFlight.capacity) waited++;
      await inFlight.run(
        async () => {
          const attached = await attachMedia(messages, store.resolve, {
            turnsKept: limits.turnsKept,
            limits,
            signal,
          });
          await client.messages.create(
            { model: "claude-sonnet-4-6", max_tokens: 1024, messages: attached.messages },
            { signal },
          );
        },
        signal,
        weight,
      );
    }),
  );
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  const failed = results
    .filter((r) => r.status === "rejected")
    .map((r) => String(r.reason?.reason ?? r.reason));
  process.send({
    baselineRss: before,
    atPeak: { heapUsed: peak.heapUsed, external: peak.external, arrayBuffers: peak.arrayBuffers },
    maxRss: peakRssBytes(peak.rss),
    wallMs,
    waited,
    failed,
    cacheBytes: cache.calculatedBytes,
  });
  process.exit(0);
}

// ---- parent ---------------------------------------------------------------------------------
async function jpeg(w, h, quality, seed = 1) {
  const [{ default: sharp }, { photoPixels }] = await Promise.all([
    import("sharp"),
    import(pathToFileURL(join(functionsDir, ".runtime/devtools/photo-pixels.js")).href),
  ]);
  return sharp(photoPixels(w, h, seed), { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

/** A private-chat photo update (the largest size is the one the bot takes). */
function photoUpdate(textUpdate, chat, file, caption) {
  const { update_id, message } = textUpdate(chat, caption);
  const { text: _text, ...rest } = message;
  const photo = [
    {
      file_id: `${file.file_id}_t`,
      file_unique_id: `${file.file_unique_id}_t`,
      width: 90,
      height: 60,
      file_size: 1_000,
    },
    {
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      width: 3000,
      height: 2000,
      file_size: file.file_size,
    },
  ];
  return { update_id, message: { ...rest, photo, caption } };
}

/**
 * Part 1: per chat, a text turn, a photo turn (cold) and a text follow-up about the photo
 * (warm), each timed from the webhook call to the SDK call that sends the model request.
 */
async function turnOverhead({ make, fakes, chats }) {
  const { newChat, textUpdate } = await import("./systems.mjs");
  const photo = await jpeg(3000, 2000, 90);
  const sys = await make(`bench_media_${Date.now().toString(36)}_`);
  const toModel = (m) => (m.modelStartedAt === null ? Number.NaN : m.modelStartedAt - m.started);
  const text = [];
  const cold = [];
  const warm = [];
  let warmDownloads = 0;
  let photosSeen = 0;
  for (let i = 0; i < chats + 1; i++) {
    const chat = newChat();
    await sys.handle(textUpdate(chat, `hello ${i}`)); // the chat's first turn: not counted
    const t = toModel(await sys.handle(textUpdate(chat, `how are you ${i}`)));
    const f = fakes.telegram.addFile(photo, { mime: "image/jpeg" });
    const c = toModel(await sys.handle(photoUpdate(textUpdate, chat, f, `what is this? ${i}`)));
    const downloads = fakes.telegram.downloads.length;
    const w = toModel(await sys.handle(textUpdate(chat, `and the colours? ${i}`)));
    warmDownloads += fakes.telegram.downloads.length - downloads;
    const followUp = fakes.anthropic.requestsContaining(`and the colours? ${i}`)[0];
    if (JSON.stringify(followUp?.body?.messages ?? []).includes('"type":"image"')) photosSeen++;
    if (i === 0) continue; // JIT and libvips warm-up
    text.push(t);
    cold.push(c);
    warm.push(w);
  }
  await sys.close();
  const stats = (v) => ({ p50: percentile(v, 0.5), p99: percentile(v, 0.99) });
  return {
    chats,
    input: { width: 3000, height: 2000, jpegBytes: photo.byteLength },
    textMs: stats(text),
    coldMs: stats(cold),
    warmMs: stats(warm),
    warmDownloads,
    followUpsWithImage: photosSeen,
    failures: sys.failures.length,
  };
}

/** The candidate closest to 10 MB. */
async function closestToTenMb(make, params) {
  let best;
  for (const p of params) {
    const b = await make(p);
    if (!best || Math.abs(b.byteLength - 10 * MB) < Math.abs(best.byteLength - 10 * MB)) best = b;
  }
  return best;
}

// A 6000×4000 camera-like photo sent as a file, near 10 MB.
const tenMbJpeg = () => closestToTenMb((q) => jpeg(6000, 4000, q, 5), [93, 94, 95, 96]);

// A scan-like PDF: one A4 photo per page, near 10 MB.
const tenMbPdf = () =>
  closestToTenMb(
    async (pages) => {
      const { PDFDocument } = await import("pdf-lib");
      const doc = await PDFDocument.create();
      for (let i = 0; i < pages; i++) {
        const img = await doc.embedJpg(await jpeg(2480, 3508, 80, 10 + i));
        const page = doc.addPage([595, 842]);
        page.drawImage(img, { x: 0, y: 0, width: 595, height: 842 });
        page.drawText(`page ${i + 1}`, { x: 20, y: 20 });
      }
      return Buffer.from(await doc.save());
    },
    [7, 8, 9],
  );

/** Part 2: one child process, 20 concurrent turns of one 10 MB file each. */
async function peakRss({ telegram, anthropic }, kind, bytes, budgetMb) {
  const candidates = [];
  for (let i = 0; i < 20; i++) {
    const f = telegram.addFile(bytes, { mime: kind === "pdf" ? "application/pdf" : "image/jpeg" });
    const name = kind === "pdf" ? "scan.pdf" : "IMG_0001.jpg";
    candidates.push({ source: "document", fileId: f.file_id, fileUniqueId: f.file_unique_id, name });
  }
  const args = [
    "--child",
    JSON.stringify({ apiRoot: telegram.url, anthropicUrl: anthropic.url, candidates, budgetMb }),
  ];
  const child = fork(fileURLToPath(import.meta.url), args, { execArgv: ["--expose-gc"] });
  const result = await new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("error", reject);
    child.once("exit", (code) => code !== 0 && reject(new Error(`child exited ${code}`)));
  });
  const mib = (b) => +(b / MB).toFixed(1);
  return {
    fileBytes: bytes.byteLength,
    concurrent: 20,
    budgetMb: budgetMb ?? null,
    baselineRssMiB: mib(result.baselineRss),
    peakRssMiB: mib(result.maxRss),
    atPeakMiB: {
      jsHeap: mib(result.atPeak.heapUsed),
      arrayBuffers: mib(result.atPeak.arrayBuffers),
      external: mib(result.atPeak.external),
    },
    wallMs: Math.round(result.wallMs),
    waited: result.waited,
    failed: result.failed,
    cacheMiB: mib(result.cacheBytes),
  };
}

async function memory(budgetMbOverride) {
  const { startFakeTelegram } = await import(
    pathToFileURL(join(functionsDir, ".runtime/devtools/fake-telegram.js")).href
  );
  const { startFakeAnthropic } = await import(
    pathToFileURL(join(functionsDir, ".runtime/devtools/fake-anthropic.js")).href
  );
  const { mediaLimits } = await import(lib("limits.js"));
  const budgetMb = budgetMbOverride ?? mediaLimits().inflightMaxChars / 1_000_000;
  const fakes = {
    telegram: await startFakeTelegram(),
    anthropic: await startFakeAnthropic({ delayMs: MODEL_HOLD_MS }),
  };
  try {
    const [image, pdf] = [await tenMbJpeg(), await tenMbPdf()];
    return {
      budgetMb,
      modelHoldMs: MODEL_HOLD_MS,
      images: await peakRss(fakes, "image", image, budgetMb),
      pdfs: await peakRss(fakes, "pdf", pdf, budgetMb),
      imagesNoBudget: await peakRss(fakes, "image", image),
      pdfsNoBudget: await peakRss(fakes, "pdf", pdf),
    };
  } finally {
    await Promise.all([fakes.telegram.close(), fakes.anthropic.close()]);
  }
}

/** Part 3: what one media item costs in the stored conversation. */
async function referenceBytes() {
  const { mediaRefBlock } = await import(lib("reference.js"));
  // Real Telegram ids: file_id ~ 70-90 chars, file_unique_id ~ 16.
  const fileId = "AgACAgIAAxkBAAIBY2Zx3kL9pQq1cN4bW7fQe3m5o0vKAAJ42zEb3z9QS1y8w8b0xZ0vAQADAgADeQADNQQ";
  const base = { fileId, fileUniqueId: "AQADeNsxG98_UEt-", size: 1_843_442 };
  const photo = mediaRefBlock({ kind: "photo", mediaType: "image/jpeg", ...base });
  const pdf = mediaRefBlock({
    kind: "pdf",
    mediaType: "application/pdf",
    name: "Quarterly report 2026-Q3.pdf",
    ...base,
  });
  // Firestore's storage size: field name bytes + 1, string bytes + 1, number 8, map sums.
  const fsSize = (v) =>
    typeof v === "string"
      ? Buffer.byteLength(v) + 1
      : typeof v === "number"
        ? 8
        : Object.entries(v).reduce((n, [k, x]) => n + Buffer.byteLength(k) + 1 + fsSize(x), 0);
  return { photo: fsSize(photo), pdf: fsSize(pdf) };
}

/** `make` and `fakes` as bench.mjs has them (ourSystem on the Firestore emulator). */
export async function mediaBench({ make, fakes, chats }) {
  return {
    turns: await turnOverhead({ make, fakes, chats }),
    memory: await memory(),
    reference: await referenceBytes(),
  };
}

const f = (v) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 1 : 0)} ms` : "n/a");
const pp = (s) => `${f(s.p50)} / ${f(s.p99)}`;
const rss = (r) =>
  `${r.peakRssMiB} MiB (from ${r.baselineRssMiB}; ${r.waited} waited, ${r.failed.length} failed, ${(r.wallMs / 1000).toFixed(1)} s)`;

export function mediaRows(r) {
  const { turns: t, memory: m, reference } = r;
  const under = (x) => x.peakRssMiB <= RSS_BUDGET_MIB && x.failed.length === 0;
  return [
    row(
      "9",
      `text turn: webhook → model request, p50 / p99 (${t.chats} chats)`,
      "reported",
      cell(pp(t.textMs)),
      na(),
    ),
    row(
      "9",
      `photo turn, cold (fetch ${(t.input.jpegBytes / MB).toFixed(1)} MB ${t.input.width}×${t.input.height} + prepare)`,
      "reported",
      cell(`${pp(t.coldMs)} (+${f(t.coldMs.p50 - t.textMs.p50)} p50 over text)`),
      na(),
    ),
    row(
      "9",
      "follow-up on the photo, warm (photo from L1): p50 / p99; Telegram downloads",
      "0 downloads",
      cell(
        `${pp(t.warmMs)}; ${t.warmDownloads} downloads; image sent ${t.followUpsWithImage}/${t.chats + 1}`,
        t.warmDownloads === 0 && t.followUpsWithImage === t.chats + 1,
      ),
      na(),
    ),
    ...[
      ["JPEG", m.images],
      ["PDF", m.pdfs],
    ].map(([kind, x]) =>
      row(
        "9",
        `20 × ${(x.fileBytes / MB).toFixed(1)} MB ${kind} turns at once: peak RSS`,
        `≤ ${RSS_BUDGET_MIB} MiB`,
        cell(rss(x), under(x)),
        na(),
      ),
    ),
    row(
      "9",
      "same without the in-flight budget (images / PDFs)",
      "shown",
      cell(`${m.imagesNoBudget.peakRssMiB} / ${m.pdfsNoBudget.peakRssMiB} MiB`),
      na(),
    ),
    row(
      "9",
      "Firestore bytes per media item in history (photo / named PDF)",
      "few hundred",
      cell(`${reference.photo} / ${reference.pdf} B`, Math.max(reference.photo, reference.pdf) < 500),
      na(),
    ),
  ];
}

export function mediaNotes(r) {
  const { memory: m } = r;
  return [
    `Fig 9: media turns through the app (webhook → claim → fetch + prepare → request builder), timed to the SDK call. ` +
      `Peak RSS: one fresh process (sharp, pdf-lib, the SDKs loaded) ingesting 20 files at once (4 downloads at a time), then ` +
      `sending each model request under MEDIA_INFLIGHT_MAX_MB ${num(m.budgetMb, 0)} through the real SDK to a fake holding ` +
      `each request ${m.modelHoldMs} ms. At the PDF peak: JS heap ${m.pdfs.atPeakMiB.jsHeap} MiB, ArrayBuffers ` +
      `${m.pdfs.atPeakMiB.arrayBuffers} MiB, external ${m.pdfs.atPeakMiB.external} MiB. The budget is ${RSS_BUDGET_MIB} MiB, ` +
      `half the function's ${FUNCTION_MEMORY_MIB} MiB, leaving room for text turns, the caches and GC.`,
  ];
}

// Standalone, the parts that need no emulator: node scripts/bench/media.mjs [--budget MB]
if (process.argv[2] !== "--child" && import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const i = process.argv.indexOf("--budget");
  const m = await memory(i > 0 ? Number(process.argv[i + 1]) : undefined);
  console.log(JSON.stringify({ memory: m, reference: await referenceBytes() }, null, 2));
}
