import { describe, expect, it } from "vitest";
import { MediaError } from "../../../src/media/errors.js";
import { mediaLimits } from "../../../src/media/limits.js";
import { decodeTextFile } from "../../../src/media/text-file.js";

const limits = mediaLimits();
const reason = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    return (err as MediaError).reason;
  }
  throw new Error("expected a refusal");
};

describe("decodeTextFile", () => {
  it("decodes UTF-8 (Markdown, CSV, JSON, code) and drops a byte order mark", () => {
    const md = "# Überschrift\n\n- naïve café ✓ 漢字\n";
    expect(decodeTextFile(Buffer.from(md), limits)).toMatchObject({
      kind: "text",
      text: md,
      sourceBytes: Buffer.byteLength(md),
    });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("a,b\n1,2\n")]);
    expect(decodeTextFile(bom, limits).text).toBe("a,b\n1,2\n");
    const log = "\u001b[32mok\u001b[0m line\n".repeat(20);
    expect(decodeTextFile(Buffer.from(log), limits).text).toBe(log);
  });

  it("refuses binary content that only claims to be text", () => {
    expect(reason(() => decodeTextFile(Buffer.from("looks like text\u0000but is not"), limits))).toBe(
      "not_text",
    );
    expect(reason(() => decodeTextFile(Buffer.from([0x68, 0x69, 0xc3, 0x28]), limits))).toBe("not_text");
    // Latin-1 bytes, not UTF-8.
    expect(reason(() => decodeTextFile(Buffer.from("café", "latin1"), limits))).toBe("not_text");
    // UTF-16 text is full of NUL bytes.
    expect(reason(() => decodeTextFile(Buffer.from("hello", "utf16le"), limits))).toBe("not_text");
    const controls = Buffer.from(
      Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 0x41 : 0x01 + (i % 7))),
    );
    expect(reason(() => decodeTextFile(controls, limits))).toBe("not_text");
  });

  it("refuses empty and over-long files with the numbers for the reply", () => {
    expect(reason(() => decodeTextFile(new Uint8Array(0), limits))).toBe("empty_file");
    expect(reason(() => decodeTextFile(Buffer.from(" \n\t\n"), limits))).toBe("empty_file");
    const err = (() => {
      try {
        decodeTextFile(Buffer.from("x".repeat(101)), { textMaxChars: 100 });
      } catch (e) {
        return e as MediaError;
      }
    })();
    expect(err).toMatchObject({ reason: "text_too_long", details: { chars: 101, limitChars: 100 } });
  });
});
