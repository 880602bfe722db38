// Shows what Telegram knows about the bot's webhook: where it points, how many
// updates wait for delivery and the last delivery error. For ops checks:
//   npm run webhook-info [-- --project <id>] [--json]
// The token comes from the environment, else the Firebase project's Secret Manager
// (--project, or a default in .firebaserc that is not a demo-* one), else
// functions/.secret.local.
import { parseArgs } from "node:util";
import { botToken, callBotApi, fail, resolveProject } from "./telegram-ops.mjs";

let args;
try {
  args = parseArgs({
    options: { json: { type: "boolean", default: false }, project: { type: "string" } },
  }).values;
} catch (error) {
  fail(`${error.message}\nusage: npm run webhook-info [-- --project <id>] [--json]`);
}

const { projectId } = resolveProject(args.project, { required: false });
const answer = await callBotApi(botToken({ projectId }), "getWebhookInfo");
if (args.json) console.log(JSON.stringify(answer, null, 2));
if (!answer?.ok) fail(`getWebhookInfo failed: ${answer?.description ?? "no description"}`);
if (args.json) process.exit(0);

const info = answer.result;
// Telegram gives Unix seconds; ISO is what the logs and the console show.
const iso = (seconds) => (seconds ? new Date(seconds * 1000).toISOString() : "never");
const rows = [
  ["url", info.url || "(none: no webhook set)"],
  ["pending_update_count", info.pending_update_count ?? 0],
  ["last_error_date", iso(info.last_error_date)],
  ["last_error_message", info.last_error_message ?? "(none)"],
  ["max_connections", info.max_connections ?? "(default)"],
  // Absent means Telegram sends every update type except a few opt-in ones.
  ["allowed_updates", info.allowed_updates?.join(", ") ?? "(all default types)"],
];
if (info.last_synchronization_error_date) {
  rows.push(["last_synchronization_error_date", iso(info.last_synchronization_error_date)]);
}
const width = Math.max(...rows.map(([name]) => name.length));
for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`);
