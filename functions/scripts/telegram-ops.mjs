// Shared by the ops scripts (set-webhook, webhook-info): where the bot's secrets come
// from and how the Bot API is called. Plain Node 22 (fetch), no dependencies, so the
// scripts run on a machine that only has the checkout.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const functionsDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repoDir = join(functionsDir, "..");

/** KEY=VALUE lines of a dotenv-style file (comments and blank lines skipped). */
export function readEnvFile(file) {
  if (!existsSync(file)) return {};
  const values = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith("#")) continue;
    values[match[1]] = match[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return values;
}

/**
 * A secret from the environment, else from functions/.secret.local (the file the
 * functions emulator reads; a developer may keep the real values there).
 */
export function secret(name) {
  const value = process.env[name] || readEnvFile(join(functionsDir, ".secret.local"))[name];
  if (!value) fail(`${name} is not set: export it or add it to functions/.secret.local`);
  return value;
}

/** The bot token, checked for the "<bot id>:<secret>" shape before it is sent anywhere. */
export function botToken() {
  const token = secret("TELEGRAM_BOT_TOKEN");
  if (!/^\d+:.+$/.test(token)) fail("TELEGRAM_BOT_TOKEN must look like <bot id>:<secret>");
  return token;
}

/** The Bot API root; TELEGRAM_API_ROOT points the scripts at a local fake in tests. */
export function apiRoot() {
  return (process.env.TELEGRAM_API_ROOT || "https://api.telegram.org").replace(/\/+$/, "");
}

/**
 * Calls a Bot API method and returns its parsed `{ ok, result | description }` answer.
 * Network failures end the script; `ok: false` answers are returned for the caller.
 */
export async function callBotApi(token, method, params = {}) {
  let response;
  try {
    response = await fetch(`${apiRoot()}/bot${token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    // The URL contains the token: name the host only.
    fail(`${method}: cannot reach ${new URL(apiRoot()).host}: ${error.cause?.message ?? error.message}`);
  }
  try {
    return await response.json();
  } catch {
    fail(`${method}: HTTP ${response.status} with a body that is not JSON`);
  }
}

/** Prints a Bot API answer and ends the script (exit 1) when it is not ok. */
export function report(method, answer) {
  console.log(`${method}: ${JSON.stringify(answer)}`);
  if (!answer?.ok) fail(`${method} failed: ${answer?.description ?? "no description"}`);
}

export function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}
