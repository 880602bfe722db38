// Makes sure functions/.secret.local defines every secret the functions declare,
// so the functions emulator never stops to prompt (an unattended run would hang).
// Existing values (a developer's real keys) are kept; only missing keys are added,
// with values that only work against the local stand-ins.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const file = join(dirname(fileURLToPath(import.meta.url)), "..", ".secret.local");
const defaults = {
  TELEGRAM_BOT_TOKEN: "123456789:local-dev-token-not-real",
  TELEGRAM_WEBHOOK_SECRET: `local-${randomBytes(12).toString("hex")}`,
  ADMIN_SECRET: `admin-${randomBytes(12).toString("hex")}`,
  ANTHROPIC_API_KEY: "offline",
};
const text = existsSync(file) ? readFileSync(file, "utf8") : "";
const present = new Set(
  text
    .split("\n")
    .map((line) => line.split("=")[0]?.trim())
    .filter(Boolean),
);
const missing = Object.entries(defaults).filter(([key]) => !present.has(key));
if (missing.length > 0) {
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  writeFileSync(file, `${text}${sep}${missing.map(([k, v]) => `${k}=${v}`).join("\n")}\n`, { mode: 0o600 });
}
