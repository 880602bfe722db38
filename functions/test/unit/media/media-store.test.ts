import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeTelegram, startFakeTelegram } from "../../../devtools/fake-telegram.js";
import { PreparedMediaCache } from "../../../src/media/cache.js";
import type { MediaCandidate } from "../../../src/media/classify.js";
import { MediaError } from "../../../src/media/errors.js";
import { mediaLimits } from "../../../src/media/limits.js";
import { createMediaStore } from "../../../src/media/media-store.js";
import { botFileSource } from "../../../src/media/telegram-files.js";
import { encodeImage, isoBmff, pdfWithPages, photoJpeg } from "../../support/media-files.js";

const TOKEN = "1111:store-test-token";
const limits = mediaLimits();

describe("media store", () => {
  let telegram: FakeTelegram;
  beforeAll(async () => {
    telegram = await startFakeTelegram();
  });
  afterAll(() => telegram.close());
  beforeEach(() => telegram.reset());

  /** One instance: its own L1 cache. */
  const instance = (concurrency?: number) =>
    createMediaStore({
      ...(concurrency ? { concurrency } : {}),
      files: botFileSource(TOKEN, telegram.url),
      cache: new PreparedMediaCache({ maxBytes: limits.cacheMaxBytes }),
      limits,
    });
  const signal = () => new AbortController().signal;
  const asDocument = (f: { file_id: string; file_unique_id: string }, name?: string): MediaCandidate => ({
    source: "document",
    fileId: f.file_id,
    fileUniqueId: f.file_unique_id,
    ...(name ? { name } : {}),
  });

  it("ingests a photo, and a warm follow-up fetches nothing from Telegram", async () => {
    const jpeg = await photoJpeg(3000, 2000);
    const file = telegram.addFile(jpeg, { mime: "image/jpeg" });
    const store = instance();
    const { ref, prepared } = await store.ingest(
      { source: "photo", fileId: file.file_id, fileUniqueId: file.file_unique_id, width: 3000, height: 2000 },
      signal(),
    );
    expect(ref).toEqual({
      kind: "photo",
      fileId: file.file_id,
      fileUniqueId: file.file_unique_id,
      mediaType: "image/jpeg",
      size: jpeg.byteLength,
    });
    expect(prepared).toMatchObject({ kind: "image", width: 1568, height: 1045 });
    expect(telegram.downloads).toHaveLength(1);

    const again = await store.resolve(ref);
    expect(again).toBe(prepared);
    expect(telegram.callsFor("getFile")).toHaveLength(1);
    expect(telegram.downloads).toHaveLength(1);

    // Another instance (cold L1) fetches it again by file_id and prepares the same result.
    const cold = await instance().resolve(ref, signal());
    expect(cold.kind === "image" && cold.data).toBe(prepared.kind === "image" && prepared.data);
    expect(telegram.downloads).toHaveLength(2);
  });

  it("shares one download between concurrent requests for one file, and keys by file_unique_id", async () => {
    const png = await encodeImage("png", 200, 100);
    const file = telegram.addFile(png);
    const store = instance();
    const [a, b] = await Promise.all([
      store.ingest(asDocument(file, "a.png"), signal()),
      store.ingest(asDocument(file, "a.png"), signal()),
    ]);
    expect(a.prepared).toBe(b.prepared);
    expect(a.ref).toMatchObject({ kind: "image", mediaType: "image/png", name: "a.png" });
    // The same file forwarded again has a new file_id but the same file_unique_id.
    const forwarded = telegram.addFile(png, { uniqueId: file.file_unique_id });
    await store.ingest(asDocument(forwarded, "b.png"), signal());
    expect(telegram.downloads).toHaveLength(1);
  });

  it("reads PDFs and text files by their bytes, whatever the name says", async () => {
    const store = instance();
    const pdf = telegram.addFile(await pdfWithPages(2), { name: "notes.txt" });
    expect((await store.ingest(asDocument(pdf, "notes.txt"), signal())).ref).toMatchObject({
      kind: "pdf",
      mediaType: "application/pdf",
      name: "notes.txt",
    });
    const md = telegram.addFile(Buffer.from("# Plan\n\n1. ship\n"), { name: "plan.md" });
    const text = await store.ingest(asDocument(md, "plan.md"), signal());
    expect(text.ref).toMatchObject({ kind: "text", mediaType: "text/plain" });
    expect(text.prepared).toMatchObject({ kind: "text", text: "# Plan\n\n1. ship\n" });
  });

  it("refuses with typed errors and caches nothing refused", async () => {
    const store = instance();
    const video = new Uint8Array(3 * 1024 * 1024);
    video.set(isoBmff("isom"));
    // The body stalls after 64 KB: only a client that stops early gets past it.
    const vid = telegram.addFile(video, { name: "clip.txt", stallAfter: 64 * 1024 });
    const err = await store.ingest(asDocument(vid, "clip.txt"), signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toMatchObject({ reason: "unsupported_type", details: { detectedType: "video/mp4" } });
    await telegram.waitFor(() => telegram.downloads[0]?.aborted === true, 5_000);
    expect(telegram.downloads[0]!.bytesSent).toBe(64 * 1024);

    const binary = telegram.addFile(Buffer.from("name,value\n\u0000\u0001\u0002"), { name: "data.csv" });
    await expect(store.ingest(asDocument(binary), signal())).rejects.toMatchObject({ reason: "not_text" });
    await expect(store.ingest(asDocument(binary), signal())).rejects.toMatchObject({ reason: "not_text" });
    expect(telegram.downloads.filter((d) => d.path === binary.file_path)).toHaveLength(2);
  });

  it("holds at most `concurrency` files in memory; a waiting turn leaves at its deadline", async () => {
    const store = instance(1);
    const first = telegram.addFile(await pdfWithPages(1), { stallAfter: 100 });
    const second = telegram.addFile(Buffer.from("second file"));
    const firstDone = store.ingest(asDocument(first), signal());
    await telegram.waitFor(() => telegram.downloads.length === 1, 5_000);
    const deadline = new AbortController();
    const waiting = store.ingest(asDocument(second), deadline.signal);
    deadline.abort();
    await expect(waiting).rejects.toMatchObject({ reason: "timeout", details: { stage: "cache" } });
    first.release();
    expect((await firstDone).ref.kind).toBe("pdf");
    // The abandoned request never reached Telegram; a later one does.
    expect(telegram.downloads.map((d) => d.path)).toEqual([first.file_path]);
    expect((await store.ingest(asDocument(second), signal())).ref.kind).toBe("text");
  });
});
