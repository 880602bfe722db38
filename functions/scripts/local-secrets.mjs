// functions/.secret.local: the secrets the functions emulator runs with. Scripts fill
// in any missing key with a value that only works against the local stand-ins, and
// the ops scripts refuse those values, so a placeholder never reaches Telegram.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "./env-file.mjs";

export const SECRETS_FILE = join(dirname(fileURLToPath(import.meta.url)), "..", ".secret.local");

// Each placeholder: how it is made and how it is recognised later.
const PLACEHOLDERS = {
  TELEGRAM_BOT_TOKEN: {
    make: () => "123456789:local-dev-token-not-real",
    is: (v) => v === "123456789:local-dev-token-not-real",
  },
  TELEGRAM_WEBHOOK_SECRET: {
    make: () => `local-${randomBytes(12).toString("hex")}`,
    is: (v) => /^local-[0-9a-f]{24}$/.test(v),
  },
  ADMIN_SECRET: {
    make: () => `admin-${randomBytes(12).toString("hex")}`,
    is: (v) => /^admin-[0-9a-f]{24}$/.test(v),
  },
  ANTHROPIC_API_KEY: { make: () => "offline", is: (v) => v === "offline" },
};

/** True when the value is the local-only placeholder this module writes for that secret. */
export function isPlaceholder(name, value) {
  return PLACEHOLDERS[name]?.is(String(value)) ?? false;
}

/**
 * Adds every secret the functions declare that the file lacks (the emulator would
 * otherwise stop to prompt, and an unattended run would hang). Existing values (a
 * developer's real keys) are kept. Returns the names it added.
 */
export function ensureLocalSecrets(file = SECRETS_FILE) {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const present = parseEnv(text).values;
  const missing = Object.keys(PLACEHOLDERS).filter((name) => !(name in present));
  if (missing.length > 0) {
    const sep = text === "" || text.endsWith("\n") ? "" : "\n";
    const lines = missing.map((name) => `${name}=${PLACEHOLDERS[name].make()}`).join("\n");
    writeFileSync(file, `${text}${sep}${lines}\n`, { mode: 0o600 });
  }
  return missing;
}
