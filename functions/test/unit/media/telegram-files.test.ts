import { Writable } from "node:stream";
import { inspect } from "node:util";
import { Api } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeTelegram, startFakeTelegram } from "../../../devtools/fake-telegram.js";
import { MediaError } from "../../../src/media/errors.js";
import {
  createTelegramFileSource,
  type FetchLike,
  type FileApi,
  grammyFileApi,
} from "../../../src/media/telegram-files.js";
import { createLogger } from "../../../src/observability/logger.js";
import { isoBmff, prng } from "../../support/media-files.js";

const TOKEN = "7654321:AAF-media_Test-token";
const KB = 1024;
const MB = 1024 * KB;

function randomBytes(n: number, seed = 3): Uint8Array {
  const rand = prng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** Every way an error can reach a log or a user: none may carry the token or a file URL. */
function expectNoSecret(err: unknown): void {
  const lines: string[] = [];
  const log = createLogger({
    level: "info",
    // No secret scrubbing in this logger: the error itself must be clean.
    destination: new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
  log.error({ err }, "media failed");
  const e = err as Error;
  const views = [
    String(err),
    e.message,
    e.stack ?? "",
    JSON.stringify(err),
    inspect(err, { depth: 10 }),
    ...lines,
  ];
  for (const v of views) {
    expect(v).not.toContain(TOKEN);
    expect(v).not.toContain(TOKEN.split(":")[1]);
    expect(v).not.toMatch(/\/file\/bot[^[]/);
  }
}

async function failure(p: Promise<unknown>): Promise<MediaError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaError);
  expectNoSecret(err);
  return err as MediaError;
}

describe("Telegram file download", () => {
  let telegram: FakeTelegram;
  let api: FileApi;
  beforeAll(async () => {
    telegram = await startFakeTelegram();
    api = grammyFileApi(new Api(TOKEN, { apiRoot: telegram.url }));
  });
  afterAll(() => telegram.close());
  beforeEach(() => telegram.reset());

  const source = (overrides: { api?: FileApi; fetch?: FetchLike; apiRoot?: string } = {}) =>
    createTelegramFileSource({
      api: overrides.api ?? api,
      token: TOKEN,
      apiRoot: overrides.apiRoot ?? `${telegram.url}/`,
      ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    });
  const opts = (
    extra: { maxBytes?: number; signal?: AbortSignal; sniff?: (h: Uint8Array) => void } = {},
  ) => ({
    maxBytes: extra.maxBytes ?? 20 * MB,
    signal: extra.signal ?? new AbortController().signal,
    ...(extra.sniff ? { sniff: extra.sniff } : {}),
  });

  it("fetches getFile then the file endpoint, bytes intact, sniffing the head once", async () => {
    const bytes = randomBytes(300 * KB);
    const file = telegram.addFile(bytes, { mime: "image/jpeg" });
    const heads: number[] = [];
    const got = await source().download(file.file_id, opts({ sniff: (h) => void heads.push(h.byteLength) }));
    expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true);
    expect(heads).toHaveLength(1);
    expect(heads[0]).toBeGreaterThanOrEqual(4100);
    expect(telegram.callsFor("getFile").map((c) => c.payload.file_id)).toEqual([file.file_id]);
    expect(telegram.downloads).toEqual([
      { path: file.file_path, token: TOKEN, status: 200, bytesSent: bytes.byteLength, aborted: false },
    ]);
  });

  it("sniffs a file smaller than the sniff window once, at the end", async () => {
    const file = telegram.addFile(Buffer.from("tiny"), { name: "a.txt" });
    const heads: string[] = [];
    await source().download(file.file_id, opts({ sniff: (h) => void heads.push(Buffer.from(h).toString()) }));
    expect(heads).toEqual(["tiny"]);
  });

  it("refuses from Telegram's file_size without downloading", async () => {
    const file = telegram.addFile(randomBytes(2 * MB));
    const err = await failure(source().download(file.file_id, opts({ maxBytes: MB })));
    expect(err).toMatchObject({ reason: "too_large", details: { sizeBytes: 2 * MB, limitBytes: MB } });
    expect(telegram.downloads).toHaveLength(0);
  });

  it("refuses from Content-Length when getFile gave no size", async () => {
    const file = telegram.addFile(randomBytes(2 * MB), { reportedSize: null });
    const err = await failure(source().download(file.file_id, opts({ maxBytes: MB })));
    expect(err).toMatchObject({ reason: "too_large", details: { sizeBytes: 2 * MB } });
  });

  it("stops a body of unknown length as soon as it passes the cap", async () => {
    // Stalls after 2 MB: the client must stop on its own at 1 MB.
    const file = telegram.addFile(randomBytes(6 * MB), {
      reportedSize: null,
      chunked: true,
      stallAfter: 2 * MB,
    });
    const err = await failure(source().download(file.file_id, opts({ maxBytes: MB })));
    expect(err).toMatchObject({ reason: "too_large", details: { partial: true } });
    // Never held more than the cap plus the one chunk that crossed it.
    expect(Number(err.details.sizeBytes)).toBeLessThanOrEqual(MB + 64 * KB);
    await telegram.waitFor(() => telegram.downloads[0]?.aborted === true, 5_000);
    expect(telegram.downloads[0]!.bytesSent).toBeLessThanOrEqual(2 * MB);
  });

  it("stops after the first bytes when sniffing refuses the file", async () => {
    const video = new Uint8Array(4 * MB);
    video.set(isoBmff("isom"));
    // The body stalls after 64 KB: only a client that stops early gets past it.
    const file = telegram.addFile(video, { stallAfter: 64 * KB });
    const refuse = () => {
      throw new MediaError("unsupported_type", "video");
    };
    const err = await failure(source().download(file.file_id, opts({ sniff: refuse })));
    expect(err.reason).toBe("unsupported_type");
    await telegram.waitFor(() => telegram.downloads[0]?.aborted === true, 5_000);
    expect(telegram.downloads[0]!.bytesSent).toBe(64 * KB);
  });

  it("ends at the request's deadline in the middle of a stalled body", async () => {
    const file = telegram.addFile(randomBytes(MB), { stallAfter: 8 * KB });
    const deadline = new AbortController();
    // The deadline fires once the first bytes are in: no timer races the transfer.
    const err = await failure(
      source().download(file.file_id, opts({ signal: deadline.signal, sniff: () => deadline.abort() })),
    );
    expect(err).toMatchObject({ reason: "timeout", details: { stage: "download" } });
    await telegram.waitFor(() => telegram.downloads[0]?.aborted === true, 5_000);
  });

  it("ends at the deadline while getFile is in flight (grammY takes the native signal)", async () => {
    // Its own fake: a custom getFile handler stays installed for the fake's lifetime.
    const slow = await startFakeTelegram();
    const deadline = new AbortController();
    let answer = () => {};
    slow.handle("getFile", () => {
      deadline.abort();
      // Held until the end: only the abort can finish the call.
      return new Promise((resolve) => {
        answer = () => resolve({ file_id: "f", file_unique_id: "u", file_path: "photos/file_1.jpg" });
      });
    });
    try {
      const slowApi = grammyFileApi(new Api(TOKEN, { apiRoot: slow.url }));
      const err = await failure(
        source({ api: slowApi, apiRoot: slow.url }).download("f", opts({ signal: deadline.signal })),
      );
      expect(err).toMatchObject({ reason: "timeout", details: { stage: "getFile" } });
      expect(slow.downloads).toHaveLength(0);
    } finally {
      answer();
      await slow.close();
    }
  });

  it("does not start after the deadline", async () => {
    const file = telegram.addFile(randomBytes(KB));
    const err = await failure(source().download(file.file_id, opts({ signal: AbortSignal.abort() })));
    expect(err.reason).toBe("timeout");
    expect(telegram.callsFor("getFile")).toHaveLength(0);
  });

  it("reports a truncated body as a transient failure", async () => {
    const file = telegram.addFile(randomBytes(MB), { truncateAt: 300 * KB });
    const err = await failure(source().download(file.file_id, opts()));
    expect(err).toMatchObject({ reason: "download_failed", transient: true });
  });

  it("maps Bot API and HTTP errors to unavailable (4xx) or transient (5xx)", async () => {
    expect(await failure(source().download("no-such-file", opts()))).toMatchObject({
      reason: "file_unavailable",
      transient: false,
    });
    const file = telegram.addFile(randomBytes(KB));
    telegram.failNext("getFile", { error_code: 500, description: "Internal Server Error" });
    expect(await failure(source().download(file.file_id, opts()))).toMatchObject({
      reason: "download_failed",
    });
    const gone = telegram.addFile(randomBytes(KB), { downloadStatus: 404 });
    expect(await failure(source().download(gone.file_id, opts()))).toMatchObject({
      reason: "file_unavailable",
      details: { status: 404 },
    });
    const busy = telegram.addFile(randomBytes(KB), { downloadStatus: 502 });
    expect(await failure(source().download(busy.file_id, opts()))).toMatchObject({
      reason: "download_failed",
      transient: true,
    });
  });

  it("keeps the token out of network errors, whatever the fetch implementation says", async () => {
    // A dead Bot API: grammY's own network error for getFile.
    const dead = await startFakeTelegram();
    const deadUrl = dead.url;
    await dead.close();
    const deadApi = grammyFileApi(new Api(TOKEN, { apiRoot: deadUrl }));
    expect(await failure(source({ api: deadApi, apiRoot: deadUrl }).download("x", opts()))).toMatchObject({
      reason: "download_failed",
    });
    // A download endpoint that refuses connections (undici's "fetch failed" with a socket cause).
    const file = telegram.addFile(randomBytes(KB));
    const refused = await failure(source({ apiRoot: deadUrl }).download(file.file_id, opts()));
    expect(refused).toMatchObject({ reason: "download_failed", cause: { name: "TypeError" } });
    // A fetch whose error quotes the URL (as URL parsing errors do).
    const quoting: FetchLike = (url) => Promise.reject(new TypeError(`Failed to parse URL from ${url}`));
    const quoted = await failure(source({ fetch: quoting }).download(file.file_id, opts()));
    expect(String((quoted.cause as { message: string }).message)).toContain("/file/bot[redacted]/");
  });

  it("never follows a file_path that is not a plain Telegram path", async () => {
    const evil: FileApi = {
      getFile: async (id) => ({ file_id: id, file_unique_id: "u", file_path: "../bot/other?x=1" }),
    };
    expect(await failure(source({ api: evil }).download("x", opts()))).toMatchObject({
      reason: "file_unavailable",
    });
    expect(telegram.downloads).toHaveLength(0);
  });
});
