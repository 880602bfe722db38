import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeTelegram, startFakeTelegram } from "../../../devtools/fake-telegram.js";
import { PreparedMediaCache } from "../../../src/media/cache.js";
import { classifyMessage } from "../../../src/media/classify.js";
import { MediaError } from "../../../src/media/errors.js";
import { mediaLimits } from "../../../src/media/limits.js";
import { createMediaStore } from "../../../src/media/media-store.js";
import type { PreparedMedia } from "../../../src/media/prepare.js";
import { type MediaRef, mediaRefBlock } from "../../../src/media/reference.js";
import { attachMedia, type ModelMessage, mediaWeight } from "../../../src/media/request.js";
import { botFileSource } from "../../../src/media/telegram-files.js";
import type { StoredMessage } from "../../../src/state/schemas.js";
import { encodeImage } from "../../support/media-files.js";

const limits = mediaLimits();
const ref = (id: string, kind: MediaRef["kind"], name?: string): MediaRef => ({
  kind,
  fileId: `file-${id}`,
  fileUniqueId: id,
  mediaType: kind === "pdf" ? "application/pdf" : kind === "text" ? "text/plain" : "image/jpeg",
  size: 1000,
  ...(name ? { name } : {}),
});
const prepared: Record<string, PreparedMedia> = {
  img1: {
    kind: "image",
    mediaType: "image/jpeg",
    data: "AAAA",
    width: 1,
    height: 1,
    sourceBytes: 3,
    reencoded: false,
  },
  img2: {
    kind: "image",
    mediaType: "image/png",
    data: "BBBB",
    width: 1,
    height: 1,
    sourceBytes: 3,
    reencoded: false,
  },
  img3: {
    kind: "image",
    mediaType: "image/webp",
    data: "CCCC",
    width: 1,
    height: 1,
    sourceBytes: 3,
    reencoded: false,
  },
  pdf1: { kind: "pdf", mediaType: "application/pdf", data: "PDFPDF", pages: 60, sourceBytes: 4 },
  pdf2: { kind: "pdf", mediaType: "application/pdf", data: "PDF2", pages: 60, sourceBytes: 3 },
  txt1: { kind: "text", mediaType: "text/plain", text: "a,b\n1,2", sourceBytes: 7 },
};

function resolver(failing: Record<string, unknown> = {}) {
  const asked: string[] = [];
  const resolve = async (r: MediaRef) => {
    asked.push(r.fileUniqueId);
    if (r.fileUniqueId in failing) throw failing[r.fileUniqueId];
    const p = prepared[r.fileUniqueId];
    if (!p) throw new Error(`no media ${r.fileUniqueId}`);
    return p;
  };
  return { asked, resolve };
}

type Block = { type: string; [key: string]: unknown };
const user = (...content: Block[]): ModelMessage => ({ role: "user", content });
const assistant = (text: string): ModelMessage => ({ role: "assistant", content: [{ type: "text", text }] });

/** Five turns: media in turns 1, 2, 4 and 5 (5 is the one being answered). */
function history(): ModelMessage[] {
  return [
    user(mediaRefBlock(ref("img1", "photo")), { type: "text", text: "look" }),
    assistant("a cat"),
    user(mediaRefBlock(ref("pdf1", "pdf", "report.pdf"))),
    assistant("a report"),
    { role: "user", content: "thanks" },
    assistant("welcome"),
    user(mediaRefBlock(ref("img2", "image", "b.png")), mediaRefBlock(ref("img3", "image", "c.webp"))),
    assistant("two images"),
    user(mediaRefBlock(ref("txt1", "text", "data.csv")), { type: "text", text: "and this?" }),
  ];
}

describe("attachMedia", () => {
  it("re-attaches the media of the newest media turns and leaves placeholders for older ones", async () => {
    const input = history();
    const before = JSON.stringify(input);
    const { asked, resolve } = resolver();
    const out = await attachMedia(input, resolve, { turnsKept: 3, limits });

    expect(JSON.stringify(input)).toBe(before);
    expect(asked.sort()).toEqual(["img2", "img3", "pdf1", "txt1"]);
    expect(out.messages[0]!.content).toEqual([
      { type: "text", text: "[photo, sent earlier]" },
      { type: "text", text: "look" },
    ]);
    expect(out.messages[2]!.content).toEqual([
      {
        type: "document",
        source: { type: "base64", media_type: "application/pdf", data: "PDFPDF" },
        title: "report.pdf",
      },
    ]);
    expect(out.messages[4]).toBe(input[4]);
    expect(out.messages[6]!.content).toEqual([
      { type: "image", source: { type: "base64", media_type: "image/png", data: "BBBB" } },
      { type: "image", source: { type: "base64", media_type: "image/webp", data: "CCCC" } },
    ]);
    expect(out.messages[8]!.content).toEqual([
      { type: "text", text: '<file name="data.csv">\na,b\n1,2\n</file>' },
      { type: "text", text: "and this?" },
    ]);
    expect(out.attached.map((r) => r.fileUniqueId)).toEqual(["txt1", "img2", "img3", "pdf1"]);
    expect(out.placeholders).toEqual([{ ref: ref("img1", "photo"), why: "earlier" }]);
    expect(JSON.stringify(out.messages)).not.toContain("telegram_media");
  });

  it("always attaches the media of the turn being answered, even with MEDIA_TURNS_KEPT 0", async () => {
    const { asked, resolve } = resolver();
    const out = await attachMedia(history(), resolve, { turnsKept: 0, limits });
    expect(asked).toEqual(["txt1"]);
    expect(out.placeholders.map((p) => p.ref.fileUniqueId).sort()).toEqual(["img1", "img2", "img3", "pdf1"]);
  });

  it("keeps the request within its media budget, newest first", async () => {
    const { resolve } = resolver();
    const out = await attachMedia(history(), resolve, {
      turnsKept: 3,
      limits: { ...limits, requestMediaMaxChars: 7 + 4 + 4 },
    });
    expect(out.attached.map((r) => r.fileUniqueId)).toEqual(["txt1", "img2", "img3"]);
    expect(out.placeholders).toContainEqual({ ref: ref("pdf1", "pdf", "report.pdf"), why: "budget" });
    expect(out.messages[2]!.content).toEqual([
      { type: "text", text: "[PDF: report.pdf, sent earlier, not re-attached (request size)]" },
    ]);
  });

  it("keeps PDF pages within the request's 100", async () => {
    const msgs = [
      user(mediaRefBlock(ref("pdf1", "pdf", "a.pdf"))),
      assistant("ok"),
      user(mediaRefBlock(ref("pdf2", "pdf", "b.pdf"))),
    ];
    const out = await attachMedia(msgs, resolver().resolve, { turnsKept: 3, limits });
    expect(out.attached.map((r) => r.fileUniqueId)).toEqual(["pdf2"]);
    expect(out.placeholders).toEqual([{ ref: ref("pdf1", "pdf", "a.pdf"), why: "budget" }]);
  });

  it("replaces older media it cannot load, and reports them", async () => {
    const gone = new MediaError("file_unavailable", "gone");
    const out = await attachMedia(history(), resolver({ pdf1: gone }).resolve, { turnsKept: 3, limits });
    expect(out.failures).toEqual([{ ref: ref("pdf1", "pdf", "report.pdf"), error: gone }]);
    expect(out.messages[2]!.content).toEqual([
      { type: "text", text: "[PDF: report.pdf, could not be loaded again]" },
    ]);
  });

  it("throws when the media of the turn being answered cannot be loaded", async () => {
    const late = new MediaError("timeout", "deadline");
    await expect(
      attachMedia(history(), resolver({ txt1: late }).resolve, { turnsKept: 3, limits }),
    ).rejects.toBe(late);
  });

  it("never lets a malformed media block through as an unknown block type", async () => {
    const msgs = [user({ type: "telegram_media", ref: { kind: "photo" } }, { type: "text", text: "hi" })];
    const out = await attachMedia(msgs, resolver().resolve, { turnsKept: 3, limits });
    expect(out.invalid).toBe(1);
    expect(out.messages[0]!.content).toEqual([
      { type: "text", text: "[attachment, could not be loaded again]" },
      { type: "text", text: "hi" },
    ]);
  });

  it("passes messages without media through untouched", async () => {
    const msgs: ModelMessage[] = [
      { role: "user", content: "hi" },
      assistant("hello"),
      user({ type: "text", text: "x" }),
    ];
    const out = await attachMedia(msgs, resolver().resolve, { turnsKept: 3, limits });
    for (const [i, m] of out.messages.entries()) expect(m).toBe(msgs[i]);
  });
});

describe("attachMedia with the media store (the pipeline's path)", () => {
  let telegram: FakeTelegram;
  beforeAll(async () => {
    telegram = await startFakeTelegram();
  });
  afterAll(() => telegram.close());

  const TOKEN = "5555:flow-test-token";
  const store = () =>
    createMediaStore({
      files: botFileSource(TOKEN, telegram.url),
      cache: new PreparedMediaCache({ maxBytes: limits.cacheMaxBytes }),
      limits,
    });

  it("photo turn, then a text follow-up: the image goes back to the model without a Telegram request", async () => {
    const jpeg = await encodeImage("jpeg", 640, 480);
    const f = telegram.addFile(jpeg, { mime: "image/jpeg" });
    const message = {
      photo: [
        {
          file_id: f.file_id,
          file_unique_id: f.file_unique_id,
          width: 640,
          height: 480,
          file_size: f.file_size,
        },
      ],
      caption: "what breed?",
    };
    const c = classifyMessage(message, limits);
    if (c.kind !== "media") throw new Error("expected media");
    const media = store();
    const { ref } = await media.ingest(c.candidate, new AbortController().signal);
    // What commit 1 stores as the user's turn: a reference and the caption.
    const turn1: ModelMessage = user(mediaRefBlock(ref), { type: "text", text: c.caption ?? "" });
    const history = [turn1, assistant("a corgi"), { role: "user" as const, content: "how old?" }];
    const downloads = telegram.downloads.length;

    const out = await attachMedia(history, media.resolve, { turnsKept: limits.turnsKept, limits });
    expect(telegram.downloads.length).toBe(downloads);
    expect(out.messages[0]!.content).toEqual([
      {
        type: "image",
        source: { type: "base64", media_type: "image/jpeg", data: Buffer.from(jpeg).toString("base64") },
      },
      { type: "text", text: "what breed?" },
    ]);
    const body = JSON.stringify(out.messages);
    expect(body).not.toContain(TOKEN);
    expect(body).not.toContain("/file/bot");
    expect(JSON.stringify(history)).not.toContain(Buffer.from(jpeg).toString("base64").slice(0, 100));

    // A cold instance gets the same block by asking Telegram once.
    const cold = await attachMedia(history, store().resolve, { turnsKept: limits.turnsKept, limits });
    expect(cold.messages[0]!.content).toEqual(out.messages[0]!.content);
    expect(telegram.downloads.length).toBe(downloads + 1);
  });
});

describe("attachMedia types", () => {
  it("takes and gives back the stored message type (history.ts in, runAgent out)", async () => {
    const stored: StoredMessage[] = [{ role: "user", content: [mediaRefBlock(ref("img1", "photo"))] }];
    const out = await attachMedia(stored, resolver().resolve, { turnsKept: 3, limits });
    const forTheModel: StoredMessage[] = out.messages;
    expect(forTheModel[0]!.content).toEqual([
      { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "AAAA" } },
    ]);
  });
});

describe("mediaWeight", () => {
  const sized = (id: string, kind: MediaRef["kind"], size: number): MediaRef => ({ ...ref(id, kind), size });

  it("bounds, before loading anything, the characters of the media attachMedia keeps", () => {
    const messages: ModelMessage[] = [
      user(mediaRefBlock(sized("old", "pdf", 9_000_000))), // beyond turnsKept: a placeholder
      assistant("a"),
      user(mediaRefBlock(sized("big", "photo", 12_000_000))), // images: at most the API's 5 MB of base64
      assistant("b"),
      user(mediaRefBlock(sized("doc", "pdf", 3_000)), mediaRefBlock(sized("csv", "text", 500))),
    ];
    const weight = mediaWeight(messages, { turnsKept: 2, limits });
    expect(weight).toBe(limits.imageMaxBase64Chars + 4_000 + 500);
    expect(mediaWeight(messages, { turnsKept: 3, limits })).toBe(weight + 12_000_000);
    // The turn being answered keeps its media even with turnsKept 0.
    expect(mediaWeight(messages, { turnsKept: 0, limits })).toBe(4_500);
    expect(mediaWeight([{ role: "user", content: "text only" }], { turnsKept: 3, limits })).toBe(0);
    // Never more than one request may carry.
    const huge = [user(mediaRefBlock(sized("h", "pdf", 30_000_000)))];
    expect(mediaWeight(huge, { turnsKept: 3, limits })).toBe(limits.requestMediaMaxChars);
  });
});
