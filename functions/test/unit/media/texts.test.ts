import { describe, expect, it } from "vitest";
import { LOCALES } from "../../../src/i18n/locale.js";
import { UNSUPPORTED_KINDS } from "../../../src/media/classify.js";
import { MediaError, type MediaRefusal } from "../../../src/media/errors.js";
import { refusalText } from "../../../src/media/texts.js";

const REASONS: MediaRefusal[] = [
  "unsupported_kind",
  "unsupported_type",
  "too_large",
  "image_too_large",
  "corrupt_image",
  "pdf_too_large",
  "pdf_too_many_pages",
  "pdf_encrypted",
  "pdf_unreadable",
  "not_text",
  "empty_file",
  "text_too_long",
  "file_unavailable",
  "download_failed",
  "timeout",
];

describe("refusalText", () => {
  it("has one line for every reason, in every language", () => {
    for (const locale of LOCALES) {
      for (const reason of REASONS) {
        const line = refusalText(locale, new MediaError(reason, "x"));
        expect(line.length).toBeGreaterThan(10);
        expect(line).not.toContain("\n");
        expect(line).not.toMatch(/undefined|NaN|\{/);
      }
    }
  });

  it("names the kind and the numbers", () => {
    for (const what of UNSUPPORTED_KINDS) {
      expect(refusalText("en", new MediaError("unsupported_kind", "x", { what }))).not.toContain("this kind");
      expect(refusalText("es", new MediaError("unsupported_kind", "x", { what }))).not.toContain("este tipo");
    }
    expect(refusalText("en", new MediaError("unsupported_kind", "x", { what: "voice" }))).toContain(
      "voice messages",
    );
    expect(
      refusalText(
        "en",
        new MediaError("too_large", "x", { sizeBytes: 25 * 1024 * 1024, limitBytes: 20 * 1024 * 1024 }),
      ),
    ).toBe("That file is 25 MB; I can take files up to 20 MB.");
    expect(
      refusalText("en", new MediaError("pdf_too_many_pages", "x", { pages: 140, limitPages: 100 })),
    ).toContain("140");
    expect(refusalText("en", new MediaError("pdf_too_many_pages", "x"))).toContain("at most 100");
    expect(
      refusalText("pt", new MediaError("text_too_long", "x", { chars: 250_000, limitChars: 200_000 })),
    ).toBe("Esse arquivo de texto é longo demais para mim (250.000 caracteres; no máximo 200.000).");
  });
});
