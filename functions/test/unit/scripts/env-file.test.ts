import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseEnv, readEnvFile } from "../../../scripts/env-file.mjs";

// The emulator and `firebase deploy` parse functions/.env* and .secret.local with
// firebase-tools' parser; the scripts must read the same values from the same text.
const require = createRequire(import.meta.url);
const firebaseEnv = require("firebase-tools/lib/functions/env.js") as {
  parse(text: string): { envs: Record<string, string>; errors: string[] };
};

const SAMPLE = [
  "# a comment line",
  "PLAIN=value",
  "SPACED = value with spaces   ",
  "EMPTY=",
  "export EXPORTED=from-a-shell-file",
  "SINGLE='literal \\n $HOME # not a comment'",
  'DOUBLE="line1\\nline2 \\"quoted\\" # kept"',
  "EQUALS=a=b==c",
  "QUOTED_EQUALS='k=v'",
  "INLINE=value # trailing comment",
  "HASH=abc#def",
  'MULTI="first',
  'second"',
  "TOKEN=123456789:AAH-abc_DEF",
  "",
].join("\n");

describe("parseEnv (scripts/env-file.mjs)", () => {
  it("reads quotes, export, comments and = in values like the emulator does", () => {
    const { values, invalid } = parseEnv(SAMPLE);
    expect(invalid).toEqual([]);
    expect(values).toEqual({
      PLAIN: "value",
      SPACED: "value with spaces",
      EMPTY: "",
      EXPORTED: "from-a-shell-file",
      SINGLE: "literal \\n $HOME # not a comment",
      DOUBLE: 'line1\nline2 "quoted" # kept',
      EQUALS: "a=b==c",
      QUOTED_EQUALS: "k=v",
      INLINE: "value",
      // An unquoted # starts a comment even without a space before it.
      HASH: "abc",
      MULTI: "first\nsecond",
      TOKEN: "123456789:AAH-abc_DEF",
    });
  });

  it("agrees with firebase-tools' parser", () => {
    const ours = parseEnv(SAMPLE);
    const theirs = firebaseEnv.parse(SAMPLE);
    expect(ours.values).toEqual(theirs.envs);
    expect(ours.invalid).toEqual(theirs.errors);
    // CRLF files (firebase-tools keeps a \r inside a multi-line quoted value; we do not).
    const windows = SAMPLE.replace(/MULTI="first\nsecond"\n/, "").replace(/\n/g, "\r\n");
    expect(parseEnv(windows).values).toEqual(firebaseEnv.parse(windows).envs);
    expect(parseEnv(windows).values.PLAIN).toBe("value");
  });

  it("reports lines that are not settings", () => {
    const { values, invalid } = parseEnv("GOOD=1\nthis is not a setting\n# fine\n");
    expect(values).toEqual({ GOOD: "1" });
    expect(invalid).toEqual(["this is not a setting"]);
  });
});

describe("readEnvFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "env-file-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("returns {} for a missing file", () => {
    expect(readEnvFile(join(dir, "missing"))).toEqual({});
  });

  it("reads a quoted secret the same way whichever script asks", () => {
    const file = join(dir, ".secret.local");
    writeFileSync(file, "TELEGRAM_WEBHOOK_SECRET=\"abc-123_XYZ\"\nexport ANTHROPIC_API_KEY='sk-ant-x'\n");
    expect(readEnvFile(file)).toEqual({
      TELEGRAM_WEBHOOK_SECRET: "abc-123_XYZ",
      ANTHROPIC_API_KEY: "sk-ant-x",
    });
  });

  it("names the file, never the offending text, when a line is malformed", () => {
    const file = join(dir, ".env.bad");
    writeFileSync(file, "OK=1\nsk-ant-secret-pasted-alone\n");
    expect(() => readEnvFile(file)).toThrow(/\.env\.bad: 1 line\(s\) are not KEY=value/);
    expect(() => readEnvFile(file)).not.toThrow(/sk-ant/);
  });
});
