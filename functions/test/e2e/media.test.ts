import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { mediaUpdate, newChat, post, sentTexts, startFakes, textUpdate } from "../support/e2e.js";
import { useFakes } from "../support/fakes.js";
import { emulatorClient } from "../support/firestore.js";
import { encodeImage, pdfWithPages, photoJpeg } from "../support/media-files.js";

const { telegram, anthropic } = useFakes(startFakes);

type Block = { type: string; text?: string; source?: { type: string; media_type: string; data: string } };
type Msg = { role: string; content: string | Block[] };

const blocksOf = (m: Msg): Block[] =>
  typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content;
const lastUser = (body: { messages: Msg[] }) =>
  blocksOf(body.messages.filter((m) => m.role === "user").at(-1)!);

async function conversationBytes(chat: number): Promise<number> {
  const snap = await emulatorClient().collection("conversations").doc(String(chat)).get();
  return Buffer.byteLength(JSON.stringify(snap.data()));
}

describe("photos and documents, through the functions emulator", () => {
  it("a captioned photo reaches the model as a JPEG ≤ 1568 px with the caption; the next turn still has it", async () => {
    const chat = newChat();
    const file = telegram.addFile(await photoJpeg(3000, 2000), { mime: "image/jpeg" });
    await post(
      mediaUpdate(chat, { photo: file, width: 3000, height: 2000 }, { caption: "what is in this photo?" }),
    );
    const first = anthropic.requestsContaining("what is in this photo?")[0]!;
    const blocks = lastUser(first.body);
    const image = blocks.find((b) => b.type === "image")!;
    expect(image.source!.media_type).toBe("image/jpeg");
    const meta = await sharp(Buffer.from(image.source!.data, "base64")).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(1568);
    expect(blocks.find((b) => b.type === "text")!.text).toBe("what is in this photo?");
    expect(JSON.stringify(first.body)).not.toMatch(/\/file\/bot|api\.telegram|127\.0\.0\.1:18781/); // no file URL
    // A follow-up question: the image is attached again (from the instance's cache or Telegram).
    await post(textUpdate(chat, "and what colour is it?"));
    const second = anthropic.requestsContaining("and what colour is it?")[0]!;
    expect(JSON.stringify(second.body.messages)).toContain('"type":"image"');
    expect(sentTexts(telegram, chat)).toHaveLength(2);
    // History holds a reference, not the bytes.
    expect(await conversationBytes(chat)).toBeLessThan(8_000);
  });

  it("a PDF arrives as a document block and a text file as text with its name", async () => {
    const chat = newChat();
    const pdf = telegram.addFile(await pdfWithPages(2), { mime: "application/pdf", name: "report.pdf" });
    await post(
      mediaUpdate(
        chat,
        { document: pdf, name: "report.pdf", mime: "application/pdf" },
        { caption: "summarise the pdf" },
      ),
    );
    const doc = lastUser(anthropic.requestsContaining("summarise the pdf")[0]!.body).find(
      (b) => b.type === "document",
    )!;
    expect(doc.source).toMatchObject({ type: "base64", media_type: "application/pdf" });
    const csv = telegram.addFile(new TextEncoder().encode("name,score\nada,10\n"), {
      mime: "text/csv",
      name: "scores.csv",
    });
    await post(
      mediaUpdate(chat, { document: csv, name: "scores.csv", mime: "text/csv" }, { caption: "who scored?" }),
    );
    const text = JSON.stringify(lastUser(anthropic.requestsContaining("who scored?")[0]!.body));
    expect(text).toContain("scores.csv");
    expect(text).toContain("ada,10");
  });

  it("an oversized file, a corrupt image and a voice message each get a clear refusal and no model call", async () => {
    const chat = newChat();
    const big = { file_id: "big1", file_unique_id: "bigU1", file_size: 30 * 1024 * 1024 };
    await post(mediaUpdate(chat, { document: big, name: "huge.zip" }, { caption: "too big" }));
    const corrupt = (await encodeImage("png", 400, 300)).slice(0, 600);
    const broken = telegram.addFile(corrupt, { mime: "image/png", name: "broken.png" });
    await post(
      mediaUpdate(chat, { document: broken, name: "broken.png", mime: "image/png" }, { caption: "look" }),
    );
    await post(mediaUpdate(chat, { voice: true }));
    const replies = sentTexts(telegram, chat);
    expect(replies).toHaveLength(3);
    expect(replies[0]).toMatch(/20 MB|too large|too big/i);
    expect(replies[1]).toMatch(/image/i);
    expect(replies[2]).toMatch(/voice|read/i);
    expect(anthropic.requests).toHaveLength(0);
  });
});
