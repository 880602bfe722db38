// Shared by the ops scripts (set-webhook, webhook-info): where the bot's secrets and
// settings come from and how the Bot API and the deployed webhook are called. Plain
// Node 22 (fetch); Secret Manager is read through the project's firebase CLI.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readEnvFile } from "./env-file.mjs";
import { isPlaceholder } from "./local-secrets.mjs";

export const functionsDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repoDir = join(functionsDir, "..");
export const OFFICIAL_API_ROOT = "https://api.telegram.org";

export function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

/** A dotenv file in functions/, or the end of the script with a message naming it. */
export function envFile(name) {
  try {
    return readEnvFile(join(functionsDir, name));
  } catch (error) {
    fail(error.message);
  }
}

/**
 * The project as `firebase use` would pick it: an alias or id from --project, else
 * .firebaserc's default. demo-* projects exist only in the emulator: refused when
 * one is required (the URL is derived from it), ignored otherwise. Returns the
 * project id and the alias it was named by.
 */
export function resolveProject(flag, { required }) {
  let projects = {};
  try {
    projects = JSON.parse(readFileSync(join(repoDir, ".firebaserc"), "utf8")).projects ?? {};
  } catch {
    // No .firebaserc: only an explicit --project can name one.
  }
  const alias = flag ?? "default";
  const projectId = flag ? (projects[flag] ?? flag) : projects.default;
  if (projectId && !projectId.startsWith("demo-")) return { projectId, alias };
  if (!required && !flag) return { projectId: undefined, alias: undefined };
  if (!projectId) fail("no Firebase project: pass --project <id> or --url <url>");
  fail(
    `"${projectId}" is an emulator-only demo project; pass --project <your project id> ` +
      "(or run `npx firebase use --add`) or --url <url>",
  );
}

/**
 * A secret from the project's Secret Manager, read with the firebase CLI (the same
 * login and the same values as `firebase deploy`). The CLI prints its errors on
 * stdout and the value as the last line, after any notices.
 */
function secretFromProject(name, projectId) {
  const answer = spawnSync("firebase", ["functions:secrets:access", name, "--project", projectId], {
    encoding: "utf8",
    env: { ...process.env, FIREBASE_CLI_DISABLE_UPDATE_CHECK: "1" },
  });
  if (answer.error) {
    fail(
      `cannot run the firebase CLI (${answer.error.code}): run this through \`npm run\`, or export ${name}`,
    );
  }
  const lines = `${answer.stdout}\n${answer.stderr}`
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  if (answer.status !== 0) {
    const reason = lines.findLast((l) => l.startsWith("Error:")) ?? lines.at(-1) ?? `exit ${answer.status}`;
    fail(
      `could not read ${name} from Secret Manager of ${projectId}: ${reason}\n` +
        `  Sign in with \`npx firebase login\` (and store it with \`npx firebase functions:secrets:set ${name}\`), or export ${name}.`,
    );
  }
  return answer.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1);
}

/**
 * A secret from the environment; else, for a Firebase project, from its Secret
 * Manager (what the deployed function uses); else from functions/.secret.local (the
 * file the functions emulator reads). The local-only placeholders `npm run dev`
 * writes there are refused: registered with Telegram, they make production answer
 * 401 to every update.
 */
export function secret(name, { projectId } = {}) {
  let value = process.env[name];
  let source = "the environment";
  if (!value && projectId) {
    value = secretFromProject(name, projectId);
    source = `Secret Manager of ${projectId}`;
  } else if (!value) {
    value = envFile(".secret.local")[name];
    source = "functions/.secret.local";
  }
  if (!value) fail(`${name} is not set: export it, or pass --project <id> to read it from Secret Manager`);
  if (isPlaceholder(name, value)) {
    fail(
      `${name} (from ${source}) is the local-only placeholder \`npm run dev\` writes, not a production value.\n` +
        `  Pass --project <id> to read the deployed value from Secret Manager, or export ${name}` +
        (name === "TELEGRAM_BOT_TOKEN" ? " (the token @BotFather gave you)." : "."),
    );
  }
  return value;
}

/** The bot token, checked for the "<bot id>:<secret>" shape before it is sent anywhere. */
export function botToken(options) {
  const token = secret("TELEGRAM_BOT_TOKEN", options);
  if (!/^\d+:.+$/.test(token)) fail("TELEGRAM_BOT_TOKEN must look like <bot id>:<secret>");
  return token;
}

/** The Bot API root; TELEGRAM_API_ROOT points the scripts at a self-hosted server or a local fake. */
export function apiRoot() {
  return (process.env.TELEGRAM_API_ROOT || OFFICIAL_API_ROOT).replace(/\/+$/, "");
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

/**
 * TELEGRAM_BOT_USERNAME as a deploy to `project` sees it: functions/.env, then
 * .env.<project id>, then .env.<alias> (firebase-tools' order; later files win).
 * Returns the value and the file it came from (both undefined when no file sets it).
 */
export function deployedUsername(projectId, alias) {
  const files = [".env", projectId && `.env.${projectId}`, alias && alias !== projectId && `.env.${alias}`];
  let found = { value: undefined, file: undefined };
  for (const name of files.filter(Boolean)) {
    const value = envFile(name).TELEGRAM_BOT_USERNAME;
    if (value) found = { value, file: `functions/${name}` };
  }
  return found;
}

/**
 * An update of a type the bot ignores (a poll's state), so the function answers
 * 200 without touching Firestore or Telegram once the secret matches and 401 when
 * it does not. update_id 0 is one Telegram never sends.
 */
export const VERIFY_UPDATE = {
  update_id: 0,
  poll: {
    id: "set-webhook-check",
    question: "set-webhook secret check",
    options: [],
    total_voter_count: 0,
    is_closed: true,
    is_anonymous: true,
    type: "regular",
    allows_multiple_answers: false,
  },
};

/**
 * Posts VERIFY_UPDATE to the webhook with the secret header, as Telegram will.
 * Resolves to `{ ok, status, problem }`: ok when the function answered 2xx, else
 * `problem` says what the status means for the operator.
 */
export async function verifyWebhook(url, webhookSecret) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": webhookSecret },
      body: JSON.stringify(VERIFY_UPDATE),
      // A cold start of the function takes a few seconds.
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    return { ok: false, status: 0, problem: `cannot reach ${url}: ${error.cause?.message ?? error.message}` };
  }
  await response.arrayBuffer();
  const { status } = response;
  if (status >= 200 && status < 300) return { ok: true, status, problem: null };
  const problems = {
    401:
      "the function rejected the secret: the TELEGRAM_WEBHOOK_SECRET given to Telegram is not the one the " +
      "deployed function has, so it will answer 401 to every update. Run set-webhook with --project <id> and " +
      "without TELEGRAM_WEBHOOK_SECRET in the environment (it then reads Secret Manager); if that is what you " +
      "did, the function runs an older version of the secret: `npx firebase deploy --only functions` " +
      "(a deployed function keeps the secret version it was deployed with), then run set-webhook again",
    403: "the function refused the call (403): is it deployed with public invoker access?",
    404: "no function at that URL (404): deploy first (`npx firebase deploy`), or check --project / --url",
  };
  const problem =
    problems[status] ??
    (status >= 500
      ? `the function failed (${status}): look for "function init failed" in its logs (a setting or secret is invalid)`
      : `unexpected answer ${status}`);
  return { ok: false, status, problem };
}
