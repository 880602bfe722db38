// The one dotenv reader of the scripts (functions/.env*, functions/.secret.local).
// The functions emulator and `firebase deploy` read these files with firebase-tools'
// own parser (lib/functions/env.js), so this follows the same grammar: an optional
// `export` prefix, '…' taken literally, "…" with \n \r \t \v \\ \' \" escapes (both
// may span lines), unquoted values up to a `#`, and `=` allowed inside values.
// test/unit/scripts/env-file.test.ts checks it against firebase-tools' parser.
import { existsSync, readFileSync } from "node:fs";

const LINE = new RegExp(
  "^\\s*(?:export)?\\s*([\\w./]+)\\s*=[\\f\\t\\v]*" +
    "(\\s*'(?:\\\\'|[^'])*'|\\s*\"(?:\\\\\"|[^\"])*\"|[^#\\r\\n]*)?" +
    "\\s*(?:#[^\\n]*)?$",
  "gms",
);
const ESCAPES = { "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\v": "\v", "\\\\": "\\", "\\'": "'", '\\"': '"' };

/**
 * Parses dotenv text. Returns the values and the lines that are neither a setting
 * nor a comment (the emulator refuses a file that has any).
 */
export function parseEnv(text) {
  const data = text.replace(/\r\n?/g, "\n");
  const values = {};
  for (const match of data.matchAll(LINE)) {
    let value = (match[2] ?? "").trim();
    const quoted = /^(["'])(.*)\1$/s.exec(value);
    if (quoted) {
      value = quoted[2];
      if (quoted[1] === '"') value = value.replace(/\\[nrtv\\'"]/g, (e) => ESCAPES[e]);
    }
    values[match[1]] = value;
  }
  const invalid = data
    .replace(LINE, "")
    .split(/\n+/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  return { values, invalid };
}

/** A dotenv file's values ({} when it does not exist); a malformed file is an error naming it. */
export function readEnvFile(file) {
  if (!existsSync(file)) return {};
  const { values, invalid } = parseEnv(readFileSync(file, "utf8"));
  if (invalid.length > 0) {
    // Never echo the lines: .secret.local holds secrets.
    throw new Error(`${file}: ${invalid.length} line(s) are not KEY=value or a # comment`);
  }
  return values;
}
