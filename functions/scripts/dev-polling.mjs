// `npm run dev:polling`: the same bot code, talking to the real Telegram by long
// polling (no public URL needed) with its state in the Firestore emulator
// (emulators:exec sets FIRESTORE_EMULATOR_HOST, which firebase-admin follows).
// Needs a real TELEGRAM_BOT_TOKEN in functions/.secret.local. The model is the
// real Claude with a real ANTHROPIC_API_KEY there, else the labelled offline stand-in.
import { parseConfig } from "../lib/config.js";
import { isRealAnthropicKey, readEnvFile, startOfflineModel } from "./dev-console.mjs";

const REAL_TELEGRAM = "https://api.telegram.org";
const say = (s) => process.stdout.write(`${s}\n`);
const fail = (message) => {
  process.stderr.write(`dev:polling: ${message}\n`);
  process.exit(1);
};

// Same precedence as the deployed function: files give defaults, the environment wins.
// .env.demo-telegram-agent is deliberately not read: it points at the console's fakes.
const source = { ...readEnvFile(".env"), ...readEnvFile(".secret.local"), ...process.env };

// ensure-local-secrets.mjs writes a placeholder token; a BotFather token has a
// numeric id and a 35-character secret.
const token = source.TELEGRAM_BOT_TOKEN ?? "";
if (!/^\d+:[A-Za-z0-9_-]{30,}$/.test(token)) {
  fail(
    "needs a real bot token. Create a bot with @BotFather, put TELEGRAM_BOT_TOKEN=<token> in " +
      "functions/.secret.local and run again.\n(No token? `npm run dev` chats with the bot locally.)",
  );
}

// Check the token up front for a clear message, and learn the bot's username so
// "/help@name" and mentions in groups work (config defaults to a placeholder).
let me;
try {
  const res = await fetch(`${REAL_TELEGRAM}/bot${token}/getMe`);
  const body = await res.json();
  if (!body.ok) fail(`Telegram rejected TELEGRAM_BOT_TOKEN (${res.status} ${body.description ?? ""}).`);
  me = body.result;
} catch (error) {
  fail(`cannot reach ${REAL_TELEGRAM}: ${error.cause?.message ?? error.message}`);
}

const online = isRealAnthropicKey(source.ANTHROPIC_API_KEY);
const offlineModel = online ? null : await startOfflineModel();
const config = parseConfig({
  ...source,
  TELEGRAM_API_ROOT: REAL_TELEGRAM,
  TELEGRAM_BOT_USERNAME: me.username,
  ...(offlineModel ? { ANTHROPIC_BASE_URL: offlineModel.url, ANTHROPIC_API_KEY: "offline" } : {}),
});

// Local only: there is no GCE metadata server to ask for credentials, so skip the
// lookup (and the MetadataLookupWarning it prints).
process.env.METADATA_SERVER_DETECTION ??= "none";
// Imported after the checks: app.js pulls in grammY, Firestore and the SDK.
const { createApp } = await import("../lib/app.js");
const app = await createApp(config);
// A failing update is logged; without this grammY would stop polling on the first error.
app.bot.catch((error) =>
  app.log.error({ err: error.error, update_id: error.ctx.update.update_id }, "update failed"),
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  say("\nstopping…");
  await app.bot.stop();
  // Ctrl-C also stops the emulators: don't wait forever on writes that can no longer land.
  await Promise.race([app.shutdown(), new Promise((resolve) => setTimeout(resolve, 5000))]);
  await offlineModel?.close();
  process.exit(0);
};
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());

// Telegram delivers either to a webhook or by getUpdates, never both.
await app.bot.api.deleteWebhook();
say(
  `@${me.username}: polling api.telegram.org; state in the Firestore emulator (${process.env.GCLOUD_PROJECT}).`,
);
say(
  online
    ? "Model: REAL Claude (ANTHROPIC_API_KEY from functions/.secret.local)."
    : `Model: OFFLINE stand-in on ${offlineModel.url}; replies start with "[offline model]".`,
);
say("Any webhook this bot had was removed: after a deploy, run `npm run set-webhook` again.");
say("Message the bot in Telegram. Ctrl-C stops.");
try {
  await app.bot.start({ allowed_updates: ["message"] });
} catch (error) {
  // e.g. 409 Conflict: another process is polling with the same token.
  await app.shutdown();
  fail(`polling stopped: ${error.message}`);
}
