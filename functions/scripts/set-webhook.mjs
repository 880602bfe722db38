// Points the Telegram bot at the deployed telegramWebhook function and registers
// its slash commands. Run after `firebase deploy`:
//   npm run set-webhook [-- --project <id> | --url <https url>] [--max-connections N] [--drop-pending-updates]
// Secrets come from the environment or functions/.secret.local (see telegram-ops.mjs).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { botToken, callBotApi, fail, repoDir, report, secret } from "./telegram-ops.mjs";

const USAGE = `usage: npm run set-webhook -- [--url <https url> | --project <id>] [--max-connections N] [--drop-pending-updates]
  --url                   webhook URL (else WEBHOOK_URL, else derived from the project)
  --project               Firebase project id or alias (default: the default project in .firebaserc)
  --max-connections       Telegram's max simultaneous deliveries, 1-100 (default 40)
  --drop-pending-updates  discard updates Telegram queued while no webhook was reachable`;

let args;
try {
  args = parseArgs({
    options: {
      url: { type: "string" },
      project: { type: "string" },
      "max-connections": { type: "string", default: "40" },
      "drop-pending-updates": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
} catch (error) {
  fail(`${error.message}\n${USAGE}`);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

/** The default project (or an alias) from .firebaserc, as `firebase use` would pick it. */
function resolveProject(flag) {
  let projects = {};
  try {
    projects = JSON.parse(readFileSync(join(repoDir, ".firebaserc"), "utf8")).projects ?? {};
  } catch {
    // No .firebaserc: only an explicit --project can name one.
  }
  const project = flag ? (projects[flag] ?? flag) : projects.default;
  if (!project) fail("no Firebase project: pass --project <id> or --url <https url>");
  // demo-* projects exist only in the emulator: Telegram could never reach them.
  if (project.startsWith("demo-")) {
    fail(
      `"${project}" is an emulator-only demo project; pass --project <your project id> ` +
        "(or run `firebase use --add`) or --url <https url>",
    );
  }
  return project;
}

function webhookUrl() {
  // The function's region is set in src/index.ts (us-central1).
  const raw =
    args.url ||
    process.env.WEBHOOK_URL ||
    `https://us-central1-${resolveProject(args.project)}.cloudfunctions.net/telegramWebhook`;
  let url;
  try {
    url = new URL(raw);
  } catch {
    fail(`not a URL: ${raw}`);
  }
  // Telegram only delivers webhooks over HTTPS.
  if (url.protocol !== "https:") fail(`the webhook URL must use https: ${raw}`);
  return url.href;
}

async function loadCommands() {
  try {
    // The same list the bot answers to (src/telegram/commands.ts), from the build output.
    return (await import("../lib/telegram/commands.js")).COMMANDS;
  } catch (error) {
    if (error.code === "ERR_MODULE_NOT_FOUND") fail("lib/ is missing: run `npm run build` first");
    throw error;
  }
}

const maxConnections = Number(args["max-connections"]);
if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 100) {
  fail(`--max-connections must be an integer from 1 to 100, got "${args["max-connections"]}"`);
}
const url = webhookUrl();
const token = botToken();
const secretToken = secret("TELEGRAM_WEBHOOK_SECRET");
// The same rule as src/config.ts: Telegram rejects other characters in secret_token.
if (!/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) {
  fail("TELEGRAM_WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and - (at most 256)");
}
const commands = await loadCommands();

console.log(`Webhook URL: ${url}`);
report(
  "setWebhook",
  await callBotApi(token, "setWebhook", {
    url,
    secret_token: secretToken,
    // The bot only handles messages; anything else would be a wasted invocation.
    allowed_updates: ["message"],
    max_connections: maxConnections,
    ...(args["drop-pending-updates"] ? { drop_pending_updates: true } : {}),
  }),
);
report("setMyCommands", await callBotApi(token, "setMyCommands", { commands }));
