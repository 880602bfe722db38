// Points the Telegram bot at the deployed telegramWebhook function, registers its
// slash commands and checks that the function accepts the secret. Run after
// `firebase deploy`:
//   npm run set-webhook -- --project <id> | --url <url>  [--max-connections N] [--drop-pending-updates] [--no-verify]
// TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET come from the environment, else from
// the project's Secret Manager (the values the deployed function has), else, with no
// project, from functions/.secret.local (see telegram-ops.mjs).
//
// Before anything changes on Telegram: the token must be a real one (getMe), and
// TELEGRAM_BOT_USERNAME in functions/.env* must name this bot (group mentions
// depend on it). After setWebhook, an update the bot ignores is posted to the
// function with the secret: 200 means the function and Telegram share the secret.
import { parseArgs } from "node:util";
import {
  apiRoot,
  botToken,
  callBotApi,
  deployedUsername,
  fail,
  OFFICIAL_API_ROOT,
  report,
  resolveProject,
  secret,
  verifyWebhook,
} from "./telegram-ops.mjs";

const USAGE = `usage: npm run set-webhook -- [--project <id> | --url <url>] [--max-connections N] [--drop-pending-updates] [--no-verify]
  --project               Firebase project id or alias (default: the default project in .firebaserc);
                          the webhook URL is derived from it, its functions/.env.<project> is checked,
                          and secrets not in the environment are read from its Secret Manager
  --url                   webhook URL (else WEBHOOK_URL, else derived from the project)
  --max-connections       Telegram's max simultaneous deliveries, 1-100 (default 40)
  --drop-pending-updates  discard updates Telegram queued while no webhook was reachable
  --no-verify             skip posting a test update to the function to check the secret`;

let args;
try {
  args = parseArgs({
    options: {
      url: { type: "string" },
      project: { type: "string" },
      "max-connections": { type: "string", default: "40" },
      "drop-pending-updates": { type: "boolean", default: false },
      "no-verify": { type: "boolean", default: false },
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

function webhookUrl(projectId) {
  // The function's region is set in src/index.ts (us-central1).
  const raw =
    args.url ||
    process.env.WEBHOOK_URL ||
    `https://us-central1-${projectId}.cloudfunctions.net/telegramWebhook`;
  let url;
  try {
    url = new URL(raw);
  } catch {
    fail(`not a URL: ${raw}`);
  }
  // Telegram delivers webhooks over HTTPS only; a self-hosted Bot API server
  // (TELEGRAM_API_ROOT) in --local mode also delivers to http URLs.
  if (apiRoot() === OFFICIAL_API_ROOT && url.protocol !== "https:") {
    fail(`the webhook URL must use https: ${raw}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") fail(`not an http(s) URL: ${raw}`);
  return url.href;
}

async function loadCommandMenus() {
  try {
    // The commands the bot answers to (src/telegram/commands.ts), described in each shipped
    // language (locales/*.ftl), from the build output: the default menu (no language_code,
    // English) for everyone else, then one per language, chosen by the user's app language.
    const [{ commandMenu }, { DEFAULT_LOCALE, LOCALES }] = await Promise.all([
      import("../lib/telegram/commands.js"),
      import("../lib/i18n/locale.js"),
    ]);
    return [
      { commands: commandMenu(DEFAULT_LOCALE) },
      ...LOCALES.map((locale) => ({ commands: commandMenu(locale), language_code: locale })),
    ];
  } catch (error) {
    if (error.code === "ERR_MODULE_NOT_FOUND") fail("lib/ is missing: run `npm run build` first");
    throw error;
  }
}

/** Group mentions and /command@bot only work when the deployed username is this bot's. */
function checkUsername(me, projectId, alias) {
  const configured = deployedUsername(projectId, alias);
  // Telegram usernames are case-insensitive.
  if (configured.value?.toLowerCase() === me.username?.toLowerCase()) return;
  const target = projectId ? `functions/.env.${projectId}` : "functions/.env.<your project id>";
  const now = configured.value
    ? `TELEGRAM_BOT_USERNAME is "${configured.value}" (from ${configured.file})`
    : "TELEGRAM_BOT_USERNAME is not set in functions/.env*";
  fail(
    `${now}, but this token belongs to @${me.username}: the bot would not see its mentions in groups.\n` +
      `  Put TELEGRAM_BOT_USERNAME=${me.username} in ${target}, deploy (npx firebase deploy --only functions),\n` +
      "  then run set-webhook again. Nothing was changed on Telegram.",
  );
}

const maxConnections = Number(args["max-connections"]);
if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 100) {
  fail(`--max-connections must be an integer from 1 to 100, got "${args["max-connections"]}"`);
}
const explicitUrl = Boolean(args.url || process.env.WEBHOOK_URL);
const { projectId, alias } = resolveProject(args.project, { required: !explicitUrl });
const url = webhookUrl(projectId);
const token = botToken({ projectId });
const secretToken = secret("TELEGRAM_WEBHOOK_SECRET", { projectId });
// The same rule as src/config.ts: Telegram rejects other characters in secret_token.
if (!/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) {
  fail("TELEGRAM_WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and - (at most 256)");
}
const commandMenus = await loadCommandMenus();

const me = await callBotApi(token, "getMe");
if (!me?.ok) fail(`Telegram rejected TELEGRAM_BOT_TOKEN (getMe: ${me?.description ?? "no description"})`);
checkUsername(me.result, projectId, alias);
console.log(`Bot: @${me.result.username}`);
console.log(`Webhook URL: ${url}`);
report(
  "setWebhook",
  await callBotApi(token, "setWebhook", {
    url,
    secret_token: secretToken,
    // The bot only handles messages; anything else would be a wasted invocation.
    allowed_updates: ["message", "stopped_message_generation"],
    max_connections: maxConnections,
    ...(args["drop-pending-updates"] ? { drop_pending_updates: true } : {}),
  }),
);
for (const menu of commandMenus) {
  report(`setMyCommands ${menu.language_code ?? "default"}`, await callBotApi(token, "setMyCommands", menu));
}

if (args["no-verify"]) {
  console.log("Secret not verified (--no-verify): `npm run webhook-info` shows delivery errors later.");
} else {
  const check = await verifyWebhook(url, secretToken);
  if (!check.ok) fail(`the webhook is set, but ${check.problem}`);
  console.log(
    `Verified: the function accepts the secret (it answered ${check.status} to a test update it ignores).`,
  );
}
