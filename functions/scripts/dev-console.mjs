// The local chat console behind `npm run dev` (run inside the emulators by
// scripts/with-emulators.sh). Each line typed is sent as a real Telegram Update,
// with the secret header, to the emulated telegramWebhook; the bot's replies come
// back through a loopback Bot API stand-in and are printed as they arrive.
//
//   node scripts/dev-console.mjs [--project ID] [--telegram-port N] [--anthropic-port N] [--offline]
//
// The ports must match TELEGRAM_API_ROOT / ANTHROPIC_BASE_URL in the project's
// functions/.env.<project> (18791/18792 for demo-telegram-agent). With a real
// ANTHROPIC_API_KEY in functions/.secret.local the model port forwards to
// api.anthropic.com; otherwise an offline stand-in answers, labelled in every reply.
// Piped stdin (not a TTY) sends the lines one by one and exits at EOF: that is
// how the e2e test drives it.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const functionsDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const OFFLINE_LABEL = "[offline model] ";
const ANTHROPIC_ORIGIN = "https://api.anthropic.com";

// A fixed local identity: the function sees an ordinary private chat.
const DEV_USER = { id: 100001, is_bot: false, first_name: "Developer", language_code: "en" };
const DEV_CHAT = { id: DEV_USER.id, type: "private", first_name: DEV_USER.first_name };

/** KEY=value lines of a dotenv-style file in functions/ ({} when it does not exist). */
export function readEnvFile(name) {
  const file = join(functionsDir, name);
  if (!existsSync(file)) return {};
  const out = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq <= 0 || line.trimStart().startsWith("#")) continue;
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** ensure-local-secrets.mjs writes "offline" as the key; real keys start with "sk-". */
export const isRealAnthropicKey = (key) => typeof key === "string" && key.startsWith("sk-");

/** The fakes are compiled TypeScript (src/devtools → lib/devtools): `npm run build` first. */
async function devtools(name) {
  try {
    return await import(`../lib/devtools/${name}.js`);
  } catch (error) {
    throw new Error(`cannot load lib/devtools/${name}.js (run \`npm run build\` first): ${error.message}`);
  }
}

export async function startOfflineModel(port = 0) {
  const { startFakeAnthropic } = await devtools("fake-anthropic");
  // A model takes a moment; so does the stand-in, so the typing indicator shows as it will live.
  // autoTools: arithmetic and time questions go through the real tool loop.
  return startFakeAnthropic({ port, label: OFFLINE_LABEL, delayMs: 500, autoTools: true });
}

// Headers that describe one connection, not the message: never forwarded.
const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer"];
const withoutHopByHop = (headers) =>
  Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.includes(k.toLowerCase())));

/**
 * A transparent forwarder to the real API on the port the function is configured
 * with, so the same .env works offline and online. It adds nothing: the function
 * already sends the key. Bodies are streamed both ways (SSE stays incremental).
 */
export async function startAnthropicProxy(port = 0) {
  const upstream = new URL(ANTHROPIC_ORIGIN);
  const server = http.createServer((req, res) => {
    const out = https.request(
      {
        hostname: upstream.hostname,
        port: upstream.port || 443,
        method: req.method,
        path: req.url,
        headers: { ...withoutHopByHop(req.headers), host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
        answer.pipe(res);
      },
    );
    out.on("error", (error) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { "content-type": "application/json" });
      const message = `dev console proxy could not reach ${ANTHROPIC_ORIGIN}: ${error.message}`;
      res.end(JSON.stringify({ type: "error", error: { type: "api_error", message } }));
    });
    // The client gave up (timeout, abort): stop the upstream request too.
    res.on("close", () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  });
  await listen(server, port);
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
}

/** Replies are Telegram HTML: show them as plain text. */
export function displayText(html) {
  return String(html)
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[22m` : s);
const say = (s) => process.stdout.write(`${s}\n`);
// Continuation lines of a multi-line message line up under its first line.
const block = (prefix, text) => `${prefix}${text.split("\n").join(`\n${" ".repeat(prefix.length)}`)}`;

/** A problem the developer can act on: printed as one line, no stack trace. */
class ConsoleError extends Error {}

function parseFlags(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      project: { type: "string" },
      "telegram-port": { type: "string", default: "18791" },
      "anthropic-port": { type: "string", default: "18792" },
      offline: { type: "boolean", default: false },
    },
  });
  return {
    project: values.project ?? process.env.GCLOUD_PROJECT ?? "demo-telegram-agent",
    telegramPort: Number(values["telegram-port"]),
    anthropicPort: Number(values["anthropic-port"]),
    offline: values.offline,
  };
}

/** Starts a loopback server, turning a busy port into an actionable message. */
async function onPort(what, port, start) {
  try {
    return await start(port);
  } catch (error) {
    if (error.code !== "EADDRINUSE") throw error;
    throw new ConsoleError(`port ${port} (${what}) is busy: is another \`npm run dev\` running?`);
  }
}

async function main(argv) {
  const flags = parseFlags(argv);
  const secrets = readEnvFile(".secret.local");
  const webhookSecret = secrets.TELEGRAM_WEBHOOK_SECRET;
  if (!webhookSecret) {
    throw new ConsoleError(
      "functions/.secret.local has no TELEGRAM_WEBHOOK_SECRET: start the console with `npm run dev`",
    );
  }
  const webhookUrl = `http://127.0.0.1:5001/${flags.project}/us-central1/telegramWebhook`;
  const online = !flags.offline && isRealAnthropicKey(secrets.ANTHROPIC_API_KEY);

  const { startFakeTelegram } = await devtools("fake-telegram");
  const telegram = await onPort("Bot API stand-in", flags.telegramPort, (port) =>
    startFakeTelegram({ port }),
  );
  let model;
  try {
    model = await onPort("model", flags.anthropicPort, online ? startAnthropicProxy : startOfflineModel);
  } catch (error) {
    await telegram.close();
    throw error;
  }
  const closeAll = () => Promise.all([telegram.close(), model.close()]);

  say(`Local chat console → telegramWebhook of project ${flags.project}`);
  say(`  Telegram: loopback Bot API stand-in on ${telegram.url}`);
  say(
    online
      ? `  Model:    REAL Claude: ${model.url} forwards to ${ANTHROPIC_ORIGIN} (key from functions/.secret.local)`
      : `  Model:    OFFLINE stand-in on ${model.url}; replies start with "${OFFLINE_LABEL.trim()}".\n` +
          '            It echoes; arithmetic ("what is 6*7?") or "what time is it?" goes through a tool.\n' +
          "            Put ANTHROPIC_API_KEY=sk-... in functions/.secret.local to talk to Claude.",
  );

  // Print what the bot sends to the dev chat; "typing" once per turn, not every 4 s.
  let typingShown = false;
  telegram.onCall(({ method, payload, ok }) => {
    if (!ok || String(payload.chat_id) !== String(DEV_CHAT.id)) return;
    if (method === "sendChatAction") {
      if (!typingShown) say(dim("bot is typing…"));
      typingShown = true;
    } else if (method === "sendMessage" || method === "editMessageText") {
      say(block("bot> ", displayText(payload.text)));
    }
  });

  // Telegram numbers updates upwards from an arbitrary point; a random base keeps a
  // new run clear of update ids an earlier run already claimed in Firestore.
  let updateId = 700_000_000 + Math.floor(Math.random() * 100_000_000);
  let messageId = 0;
  const send = async (text) => {
    typingShown = false;
    const command = text.startsWith("/") ? text.split(/\s/)[0] : null;
    const update = {
      update_id: updateId++,
      message: {
        message_id: ++messageId,
        date: Math.floor(Date.now() / 1000),
        chat: DEV_CHAT,
        from: DEV_USER,
        text,
        ...(command ? { entities: [{ type: "bot_command", offset: 0, length: command.length }] } : {}),
      },
    };
    let res;
    try {
      // The webhook answers once the turn is done, so the replies are printed by then.
      res = await fetch(webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": webhookSecret },
        body: JSON.stringify(update),
      });
    } catch (error) {
      throw new ConsoleError(`cannot reach ${webhookUrl}: ${error.cause?.message ?? error.message}`);
    }
    const body = await res.text();
    if (!res.ok) {
      // The emulator serves one project: a 404 usually means --project does not match it.
      const hint = res.status === 404 ? ` (is ${flags.project} the emulators' project?)` : "";
      throw new ConsoleError(`the webhook answered ${res.status}: ${body.slice(0, 300)}${hint}`);
    }
  };

  const interactive = process.stdin.isTTY === true;
  const rl = createInterface({
    input: process.stdin,
    output: interactive ? process.stdout : undefined,
    terminal: interactive,
  });
  rl.setPrompt("you> ");
  // Ctrl-C at the prompt ends the session like Ctrl-D.
  rl.on("SIGINT", () => rl.close());
  // Piped runs get Ctrl-C as a signal (with the emulators): close the ports first.
  process.once("SIGINT", () => void closeAll().then(() => process.exit(130)));

  let exitCode = 0;
  try {
    if (interactive) {
      say("Type a message or a command (/help, /skill, /reset, /undo, /stats). Ctrl-D quits.\n");
      rl.prompt();
    }
    for await (const line of rl) {
      const text = line.trim();
      if (text) {
        // Piped input is not echoed by a terminal: show it so the transcript reads well.
        if (!interactive) say(`you> ${text}`);
        try {
          await send(text);
        } catch (error) {
          if (!(error instanceof ConsoleError)) throw error;
          process.stderr.write(`dev console: ${error.message}\n`);
          if (!interactive) {
            exitCode = 1;
            break;
          }
        }
      }
      if (interactive) rl.prompt();
    }
  } finally {
    // Leave the shell prompt on a line of its own after Ctrl-D / Ctrl-C.
    if (interactive) say("");
    rl.close();
    await closeAll();
  }
  return exitCode;
}

// Only run when executed directly: dev-polling.mjs imports the helpers above.
const isEntry = () => {
  try {
    return realpathSync(process.argv[1] ?? "") === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
};
if (isEntry()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`dev console: ${error instanceof ConsoleError ? error.message : error.stack}\n`);
      process.exit(1);
    },
  );
}
