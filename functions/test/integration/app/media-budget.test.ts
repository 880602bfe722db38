import { randomBytes } from "node:crypto";
import { PDFDocument } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { inProcessApp, randomPortFakes, request } from "../../support/app.js";
import { mediaUpdate, textUpdate } from "../../support/e2e.js";
import { useFakes } from "../../support/fakes.js";
import { uid } from "../../support/firestore.js";
import { heldModel, until } from "../../support/model.js";

const { telegram, anthropic } = useFakes(randomPortFakes);

/** A one-page PDF of about `mb` MB: the bulk is an incompressible attachment, as in a scan. */
async function bigPdf(mb: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.addPage([200, 200]).drawText("scan", { x: 20, y: 100 });
  await doc.attach(randomBytes(mb * 1024 * 1024), "scan.bin", { mimeType: "application/octet-stream" });
  return doc.save();
}

describe("in-flight media budget (MEDIA_INFLIGHT_MAX_MB, one instance)", () => {
  it("a media turn that does not fit waits for the one in flight; a text turn never waits", async () => {
    const model = heldModel("read it");
    // 28 M characters: one 11 MB PDF (about 15 M base64 characters) fits, two do not.
    const app = await inProcessApp(
      { telegram, anthropic },
      { config: { MEDIA_INFLIGHT_MAX_MB: 28 }, createMessage: model.createMessage },
    );
    const pdf = await bigPdf(11);
    const [first, second, talker] = [uid(), uid(), uid()];
    const document = (chat: number) =>
      mediaUpdate(
        chat,
        {
          document: telegram.addFile(pdf, { mime: "application/pdf" }),
          name: "scan.pdf",
          mime: "application/pdf",
        },
        { caption: "summarise" },
      );
    const one = app.webhook(request(document(first)));
    await until(() => model.calls.length === 1, "the first PDF turn reaches the model");
    const two = app.webhook(request(document(second)));
    await until(
      () => app.lines.some((l) => l.message === "waiting for the in-flight media budget"),
      "the second PDF turn waits",
    );
    // Text weighs nothing: it reaches the model beside the first PDF, the second PDF still waits.
    const three = app.webhook(request(textUpdate(talker, "just text")));
    await until(() => model.calls.length === 2, "the text turn reaches the model");
    const sentDocuments = model.calls.map((c) => JSON.stringify(c.messages).includes('"type":"document"'));
    expect(sentDocuments).toEqual([true, false]);
    expect(app.metricsRegistry.get("media_waits")).toBe(1);

    model.release();
    const statuses = await Promise.all([one, two, three]);
    expect(statuses.map((s) => s.status)).toEqual([200, 200, 200]);
    expect(model.calls).toHaveLength(3);
    expect(JSON.stringify(model.calls[2]!.messages)).toContain('"type":"document"');
    for (const chat of [first, second, talker]) {
      expect(telegram.messagesTo(chat).map((m) => m.text)).toEqual(["read it"]);
    }
    const waited = app.lines.find((l) => l.message === "waiting for the in-flight media budget");
    expect(waited).toMatchObject({
      chat_id: second,
      weight: expect.any(Number),
      in_flight: expect.any(Number),
    });
  });
});
