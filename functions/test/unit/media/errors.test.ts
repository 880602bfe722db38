import { describe, expect, it } from "vitest";
import { MediaError, redact, summarize } from "../../../src/media/errors.js";

const TOKEN = "123456:AAH-secret_Token";

describe("MediaError", () => {
  it("carries a reason, details and whether a retry may help", () => {
    const e = new MediaError("download_failed", "file download failed", { status: 502 });
    expect(e).toMatchObject({ name: "MediaError", reason: "download_failed", transient: true });
    expect(new MediaError("too_large", "x").transient).toBe(false);
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({
      reason: "download_failed",
      details: { status: 502 },
    });
  });
});

describe("redact", () => {
  it("removes the token and any Bot API token path", () => {
    const url = `https://api.telegram.org/file/bot${TOKEN}/photos/file_1.jpg`;
    expect(redact(`fetch ${url} failed`, [TOKEN])).toBe(
      "fetch https://api.telegram.org/file/bot[redacted]/photos/file_1.jpg failed",
    );
    // Even a token the caller did not name never survives inside a bot path.
    expect(redact("GET /bot999:other-token/getFile", [])).toBe("GET /bot[redacted]/getFile");
  });
});

describe("summarize", () => {
  it("keeps name, code and message (with the inner cause) and drops the token", () => {
    const inner = Object.assign(new Error(`connect ECONNREFUSED for /file/bot${TOKEN}/x`), {
      code: "ECONNREFUSED",
    });
    const outer = new TypeError("fetch failed", { cause: inner });
    const s = summarize(outer, [TOKEN]);
    expect(s).toEqual({
      name: "TypeError",
      code: "ECONNREFUSED",
      message: "fetch failed: connect ECONNREFUSED for /file/bot[redacted]/x",
    });
    expect(JSON.stringify(s)).not.toContain(TOKEN);
    expect(summarize("plain string", [])).toEqual({ name: "string", message: "plain string" });
  });
});
