// `npm run dev:polling [-- --force]`: the same bot code, talking to the real Telegram
// by long polling (no public URL needed) with its state in the Firestore emulator
// (emulators:exec sets FIRESTORE_EMULATOR_HOST, which firebase-admin follows).
// Needs a real TELEGRAM_BOT_TOKEN in functions/.secret.local. The model is the
// real Claude with a real ANTHROPIC_API_KEY there, else the labelled offline stand-in.
//
// Telegram delivers a bot's updates either to its webhook or by polling, and polling
// deletes the webhook: with a deployed bot's token that takes production offline.
// So when a webhook is set, this asks first (or needs --force when nobody can answer).
// TELEGRAM_API_ROOT in the environment points it at a self-hosted Bot API server
// (or the tests' loopback fake); the .env files are not consulted for that.
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { parseConfig } from "../lib/config.js";
import { isRealAnthropicKey, startOfflineModel } from "./dev-console.mjs";
import { readEnvFile } from "./env-file.mjs";

const functionsDir = join(import.meta.dirname, "..");
const apiRoot = (process.env.TELEGRAM_API_ROOT || "https://api.telegram.org").replace(/\/+$/, "");
const say = (s) => process.stdout.write(`${s}\n`);
const fail = (message) => {
  process.stderr.write(`dev:polling: ${message}\n`);
  process.exit(1);
};

let flags;
try {
  flags = parseArgs({ options: { force: { type: "boolean", default: false } } }).values;
} catch (error) {
  fail(`${error.message}\nusage: npm run dev:polling [-- --force]`);
}

// Same precedence as the deployed function: files give defaults, the environment wins.
// .env.demo-telegram-agent is deliberately not read: it points at the console's fakes.
let source;
try {
  source = {
    ...readEnvFile(join(functionsDir, ".env")),
    ...readEnvFile(join(functionsDir, ".secret.local")),
    ...process.env,
  };
} catch (error) {
  fail(error.message);
}

// ensure-local-secrets.mjs writes a placeholder token; a BotFather token has a
// numeric id and a 35-character secret.
const token = source.TELEGRAM_BOT_TOKEN ?? "";
if (!/^\d+:[A-Za-z0-9_-]{30,}$/.test(token)) {
  fail(
    "needs a real bot token. Create a bot with @BotFather, put TELEGRAM_BOT_TOKEN=<token> in " +
      "functions/.secret.local and run again.\n(No token? `npm run dev` chats with the bot locally.)",
  );
}

/** A Bot API call before the bot exists; ends the script with a clear message on failure. */
async function botApi(method) {
  let body;
  try {
    const res = await fetch(`${apiRoot}/bot${token}/${method}`, { signal: AbortSignal.timeout(30_000) });
    body = await res.json();
  } catch (error) {
    // The URL holds the token: name the host only.
    fail(`cannot reach ${new URL(apiRoot).host}: ${error.cause?.message ?? error.message}`);
  }
  if (!body.ok)
    fail(`Telegram rejected TELEGRAM_BOT_TOKEN (${method}: ${body.description ?? "no description"}).`);
  return body.result;
}

/** Asks a yes/no question on the terminal; Ctrl-C or Ctrl-D count as no. */
function ask(question) {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    let answered = false;
    const done = (yes) => {
      if (answered) return;
      answered = true;
      rl.close();
      resolve(yes);
    };
    rl.on("SIGINT", () => {
      process.stdout.write("\n");
      done(false);
    });
    rl.on("close", () => done(false));
    rl.question(question, (answer) => done(/^y(es)?$/i.test(answer.trim())));
  });
}

// Check the token up front for a clear message, and learn the bot's username so
// "/help@name" and mentions in groups work (config defaults to a placeholder).
const me = await botApi("getMe");
const { url: webhook } = await botApi("getWebhookInfo");
if (webhook && !flags.force) {
  const warning =
    `@${me.username} has a webhook: ${webhook}\n` +
    "Polling deletes it, and the bot behind it (production?) gets no updates until " +
    "`npm run set-webhook` runs again.";
  if (process.stdin.isTTY !== true) {
    fail(
      `${warning}\nRe-run with \`npm run dev:polling -- --force\` to delete it anyway, ` +
        "or use a separate test bot's token from @BotFather.",
    );
  }
  say(warning);
  if (!(await ask("Delete the webhook and poll here? [y/N] "))) {
    say("Nothing changed.");
    process.exit(0);
  }
}

const online = isRealAnthropicKey(source.ANTHROPIC_API_KEY);
const offlineModel = online ? null : await startOfflineModel();
const config = parseConfig({
  ...source,
  TELEGRAM_API_ROOT: apiRoot,
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

const onStart = () => {
  say(
    `@${me.username}: polling ${new URL(apiRoot).host}; state in the Firestore emulator (${process.env.GCLOUD_PROJECT}).`,
  );
  say(
    online
      ? "Model: REAL Claude (ANTHROPIC_API_KEY from functions/.secret.local)."
      : `Model: OFFLINE stand-in on ${offlineModel.url}; replies start with "[offline model]".`,
  );
  if (webhook)
    say(`The webhook (${webhook}) was deleted: run \`npm run set-webhook\` again when you are done.`);
  say("Message the bot in Telegram. Ctrl-C stops.");
};
try {
  // bot.start deletes the webhook (Telegram serves getUpdates only without one).
  await app.bot.start({ allowed_updates: ["message", "stopped_message_generation"], onStart });
} catch (error) {
  // e.g. 409 Conflict: another process is polling with the same token.
  await app.shutdown();
  fail(`polling stopped: ${error.message}`);
}
