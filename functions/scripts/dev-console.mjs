// The local chat console behind `npm run dev` (run inside the emulators by
// scripts/with-emulators.sh). Each line typed is sent as a real Telegram Update,
// with the secret header, to the emulated telegramWebhook; the bot's replies come
// back through a loopback Bot API stand-in and are printed as they arrive.
//
//   node scripts/dev-console.mjs [--project ID] [--telegram-port N] [--anthropic-port N] [--offline] [--logs]
//
// The ports must match TELEGRAM_API_ROOT / ANTHROPIC_BASE_URL in the project's
// functions/.env.<project> (18791/18792 for demo-telegram-agent). With a real
// ANTHROPIC_API_KEY in functions/.secret.local the model port forwards to
// api.anthropic.com; otherwise an offline stand-in answers, labelled in every reply.
// Its directives work here too, e.g. "tell me a story [[long:1500]] [[drip:60]]" for
// a long answer written slowly, "[[hold]]" for one that goes on until /stop
// (devtools/fake-anthropic.ts lists them).
//
// Drafts: a private-chat answer grows in a draft (sendMessageDraft, or
// sendRichMessageDraft with REPLY_FORMAT=rich) before it is sent once as a message.
// On a terminal the draft is one dimmed line, `bot (draft)> …` with the newest text
// that fits, redrawn in place above the prompt, and replaced by the `bot> …` message
// when that arrives. Piped, nothing is redrawn: one line `bot is writing… (N draft
// frames)` comes right before the answer.
//
// Sending never blocks the prompt: each line is POSTed as its own Update at once, and
// the webhook answers when its turn is done, so /stop can be typed while an answer is
// being written (the function runs /stop outside the chat's queue). A webhook error is
// printed as one line. The turns run concurrently, each in its own emulator worker.
// Piped stdin (not a TTY) keeps a transcript in order, which is how the e2e test
// drives it: each line waits for the turns before it to end, except /stop, which is
// sent as soon as the turn before it shows something (a draft frame, its answer) or
// ends, without waiting for it to finish. A piped run exits at EOF or /quit once every
// turn sent has ended; a webhook error ends it with exit code 1.
//
// `npm run dev` runs it on the terminal while the emulators write their output to
// the file named by DEV_LOG_FILE; --logs (or DEV_LOGS=1) follows that file here.
// Everything printed while the prompt is shown goes above it (and above the draft
// line), so a late line never overwrites what is being typed.
import { closeSync, existsSync, fstatSync, openSync, readSync, realpathSync, watch } from "node:fs";
import http from "node:http";
import https from "node:https";
import { dirname, join, relative } from "node:path";
import { clearScreenDown, createInterface, cursorTo, moveCursor } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs, stripVTControlCharacters } from "node:util";
import { readEnvFile } from "./env-file.mjs";

const functionsDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const OFFLINE_LABEL = "[offline model] ";
const ANTHROPIC_ORIGIN = "https://api.anthropic.com";

// A fixed local identity: the function sees an ordinary private chat.
const DEV_USER = { id: 100001, is_bot: false, first_name: "Developer", language_code: "en" };
const DEV_CHAT = { id: DEV_USER.id, type: "private", first_name: DEV_USER.first_name };

/** ensure-local-secrets.mjs writes "offline" as the key; real keys start with "sk-". */
export const isRealAnthropicKey = (key) => typeof key === "string" && key.startsWith("sk-");

/** The fakes are compiled TypeScript (devtools/ → .runtime/devtools): `npm run build:devtools` first. */
async function devtools(name) {
  try {
    return await import(`../.runtime/devtools/${name}.js`);
  } catch (error) {
    throw new Error(
      `cannot load .runtime/devtools/${name}.js (run \`npm run build:devtools\` first): ${error.message}`,
    );
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

/**
 * What a message or draft payload shows, as plain text: `text` (HTML only when
 * parse_mode says so), or a rich message's (InputRichMessage) markdown or html.
 */
export function shownText(payload) {
  let rich = payload.rich_message;
  if (typeof rich === "string") {
    try {
      rich = JSON.parse(rich);
    } catch {
      // Not JSON: shown as it came.
    }
  }
  if (rich !== undefined && rich !== null) {
    if (typeof rich.markdown === "string") return rich.markdown;
    if (typeof rich.html === "string") return displayText(rich.html);
    if (Array.isArray(rich.blocks)) return `[rich message: ${rich.blocks.length} blocks]`;
    return String(rich);
  }
  const text = String(payload.text ?? "");
  return payload.parse_mode === "HTML" ? displayText(text) : text;
}

const segmenter = new Intl.Segmenter();
// East Asian wide and fullwidth blocks, and the emoji blocks: two columns on a terminal.
const WIDE = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

/** Columns one grapheme takes on a terminal (like most terminals do, not exactly every one). */
function graphemeWidth(g) {
  const cp = g.codePointAt(0) ?? 0;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || /^\p{M}/u.test(g)) return 0;
  if (WIDE.some(([from, to]) => cp >= from && cp <= to) || /\p{Emoji_Presentation}|\uFE0F/u.test(g)) return 2;
  return 1;
}

const graphemes = (s) => Array.from(segmenter.segment(s), (g) => g.segment);

/** Columns a single-line string takes on a terminal (escape sequences take none). */
export function displayWidth(s) {
  return graphemes(stripVTControlCharacters(s)).reduce((n, g) => n + graphemeWidth(g), 0);
}

/**
 * Where text written from the start of a row ends: `rows` below the first and column
 * `cols` (what readline computes for its prompt, with this module's character widths).
 */
export function displayPos(s, columns) {
  let offset = 0;
  let rows = 0;
  for (const g of graphemes(stripVTControlCharacters(s))) {
    if (g === "\n" || g === "\r\n") {
      rows += Math.ceil(offset / columns) || 1;
      offset = 0;
      continue;
    }
    const width = graphemeWidth(g);
    if (width === 2 && (offset + 1) % columns === 0) offset++;
    offset += width;
  }
  const cols = offset % columns;
  return { rows: rows + (offset - cols) / columns, cols };
}

export const DRAFT_PREFIX = "bot (draft)> ";

/**
 * The draft being written, as one terminal line of at most `columns - 1` columns:
 * line breaks and runs of spaces become one space, and a draft too long for the line
 * shows its newest text after "…" (a draft grows at its end).
 */
export function draftLine(text, columns) {
  const width = Number.isFinite(columns) && columns > 0 ? columns : 80;
  const flat = String(text).replace(/\s+/g, " ").trim();
  const room = Math.max(2, width - 1 - displayWidth(DRAFT_PREFIX));
  if (displayWidth(flat) <= room) return `${DRAFT_PREFIX}${flat}`;
  const parts = graphemes(flat);
  let used = 1; // the "…"
  let start = parts.length;
  while (start > 0 && used + graphemeWidth(parts[start - 1]) <= room) used += graphemeWidth(parts[--start]);
  return `${DRAFT_PREFIX}…${parts.slice(start).join("").trimStart()}`;
}

/** Without a terminal, a turn's drafts are summed up in one line when its answer arrives. */
export function draftSummary(frames) {
  return `bot is writing… (${frames} draft frame${frames === 1 ? "" : "s"})`;
}

const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[22m` : s);
// Continuation lines of a multi-line message line up under its first line.
const block = (prefix, text) => `${prefix}${text.split("\n").join(`\n${" ".repeat(prefix.length)}`)}`;

// Autowrap off (DECAWM) for the live line: a line a little wider than estimated is cut at
// the edge instead of wrapping, so it always takes exactly one row and can be redrawn.
const NO_WRAP = "\x1b[?7l";
const WRAP = "\x1b[?7h";

/**
 * Writes whole lines to the console, and on a terminal one live line (the draft being
 * written) kept right above the prompt and redrawn in place.
 *
 * While the prompt waits for input (terminal only), a line is written above it (and
 * above the live line): the rows from the live line down to the prompt are cleared,
 * the line printed, then the live line and the prompt with whatever had been typed so
 * far, the cursor where it was. A line entered while the live line is shown lands under
 * it; at the next draw it is rewritten above it, so the live line stays next to the prompt.
 */
export class ConsoleOutput {
  #stream;
  #rl = null;
  /** The prompt (and what is being typed) is on screen, below everything else. */
  #prompting = false;
  /** The live line's text, or null. */
  #live = null;
  /** Rows the live line takes on screen now (0 or 1). */
  #liveRows = 0;
  /** A line entered under the shown live line, rewritten above it at the next draw. */
  #entered = null;

  constructor(stream) {
    this.#stream = stream;
  }

  /** The terminal's width (80 when it does not say). */
  get columns() {
    return this.#stream.columns || 80;
  }

  /** The terminal readline interface whose prompt lines are kept below. */
  attach(rl) {
    this.#rl = rl;
    rl.on("line", (line) => {
      this.#prompting = false;
      // readline moved to a fresh row below the entered line, itself below the live line.
      if (this.#liveRows > 0) this.#entered = `${rl.getPrompt()}${line}`;
    });
    rl.on("close", () => {
      // What is on screen stays; nothing is redrawn any more.
      this.#rl = null;
      this.#prompting = false;
      this.#live = null;
      this.#liveRows = 0;
      this.#entered = null;
    });
  }

  prompt() {
    if (!this.#rl) return;
    if (this.#liveRows > 0 || this.#live !== null) return void this.#draw(null, true);
    this.#prompting = true;
    this.#rl.prompt();
  }

  /** Writes a whole line; `endLive`: the live line is over, and this line takes its place. */
  line(text, { endLive = false } = {}) {
    if (endLive) this.#live = null;
    const plain = !this.#rl || (!this.#prompting && this.#liveRows === 0 && this.#live === null);
    if (plain) return void this.#stream.write(`${text}\n`);
    this.#draw(text, this.#prompting);
  }

  /** Shows `text` as the live line, replacing the one shown; null removes it. Terminal only. */
  live(text) {
    if (!this.#rl) return;
    this.#live = text;
    this.#draw(null, this.#prompting);
  }

  #draw(text, showPrompt) {
    const out = this.#stream;
    const rl = this.#rl;
    const columns = out.columns || Number.POSITIVE_INFINITY;
    // Up from the cursor to the first row to redraw: the live line, a line entered
    // under it, and the rows of the prompt above the cursor.
    let up = this.#liveRows;
    if (this.#entered !== null) up += displayPos(this.#entered, columns).rows + 1;
    if (this.#prompting) up += rl.getCursorPos().rows;
    if (up > 0) moveCursor(out, 0, -up);
    cursorTo(out, 0);
    clearScreenDown(out);
    if (this.#entered !== null) out.write(`${this.#entered}\n`);
    this.#entered = null;
    if (text !== null) out.write(`${text}\n`);
    this.#liveRows = 0;
    if (this.#live !== null) {
      out.write(`${NO_WRAP}${this.#live}${WRAP}\n`);
      this.#liveRows = 1;
    }
    if (!showPrompt) return;
    if (!this.#prompting) {
      // A new prompt: readline draws it (after Enter it counts no rows above the cursor).
      this.#prompting = true;
      return void rl.prompt();
    }
    // The prompt again, cursor where it was, as readline's own redraw does; readline's
    // idea of the cursor's row within the prompt stays true, so its next redraw is right.
    const shown = `${rl.getPrompt()}${rl.line}`;
    const end = displayPos(shown, columns);
    const cursor = rl.getCursorPos();
    out.write(shown);
    if (end.cols === 0) out.write(" "); // the terminal allocates the next row now
    cursorTo(out, cursor.cols);
    if (end.rows > cursor.rows) moveCursor(out, 0, cursor.rows - end.rows);
  }
}

/**
 * Follows a growing log file, handing each complete line to `onLine` (from the
 * start of the file: the emulators' start-up lines give context). `close()` reads
 * what is left and stops.
 */
export function followLog(file, onLine) {
  const fd = openSync(file, "r");
  const buffer = Buffer.alloc(64 * 1024);
  let offset = 0;
  let partial = "";
  const readMore = () => {
    while (offset < fstatSync(fd).size) {
      const n = readSync(fd, buffer, 0, buffer.length, offset);
      if (n === 0) break;
      offset += n;
      const lines = (partial + buffer.toString("utf8", 0, n)).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    }
  };
  const watcher = watch(file, () => readMore());
  readMore();
  return {
    close() {
      watcher.close();
      readMore();
      closeSync(fd);
    },
  };
}

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
      logs: { type: "boolean", default: false },
    },
  });
  return {
    logs: values.logs || process.env.DEV_LOGS === "1",
    logFile: process.env.DEV_LOG_FILE || null,
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

/** Lines the console handles itself instead of sending them to the bot. */
const QUIT = new Set(["/quit", "/exit"]);
/** /stop (also as /stop@bot): sent at once, even while a turn is running. */
const isStop = (text) => /^\/stop(@\w+)?(\s|$)/.test(text);

async function main(argv) {
  const flags = parseFlags(argv);
  let secrets;
  try {
    secrets = readEnvFile(join(functionsDir, ".secret.local"));
  } catch (error) {
    throw new ConsoleError(error.message);
  }
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

  const out = new ConsoleOutput(process.stdout);
  const say = (text) => out.line(text);
  say(`Local chat console → telegramWebhook of project ${flags.project}`);
  say(`  Telegram: loopback Bot API stand-in on ${telegram.url}`);
  say(
    online
      ? `  Model:    REAL Claude: ${model.url} forwards to ${ANTHROPIC_ORIGIN} (key from functions/.secret.local)`
      : `  Model:    OFFLINE stand-in on ${model.url}; replies start with "${OFFLINE_LABEL.trim()}".\n` +
          '            It echoes; arithmetic ("what is 6*7?") or "what time is it?" goes through a tool.\n' +
          "            Put ANTHROPIC_API_KEY=sk-... in functions/.secret.local to talk to Claude.",
  );
  let log = null;
  if (flags.logFile) {
    const shown = relative(process.cwd(), flags.logFile);
    if (flags.logs && existsSync(flags.logFile)) {
      say(`  Logs:     the emulators' output (${shown}), dimmed, as it comes`);
      log = followLog(flags.logFile, (line) => say(dim(`  │ ${line}`)));
    } else {
      say(`  Logs:     the emulators' output goes to ${shown} (\`npm run dev -- --logs\` shows it here)`);
    }
  }

  const interactive = process.stdin.isTTY === true;

  // The turns sent, by update id (the draft_id of their drafts: src/telegram/draft-stream.ts
  // draftIdFor) and by message id (their answer's first message replies to it).
  const turns = new Map();
  const turnOfMessage = new Map();
  // The turn whose draft is being written (on a terminal: the one the live line shows).
  let drafting = null;
  /** The turn's drafts are over (its answer came, or it ended): piped runs sum them up. */
  const endDrafts = (turn) => {
    if (turn.draftsEnded) return;
    turn.draftsEnded = true;
    if (!interactive && turn.frames > 0) say(dim(draftSummary(turn.frames)));
  };

  // Print what the bot sends to the dev chat; "typing" once per turn, not every 4 s.
  let typingShown = false;
  telegram.onCall(({ method, payload, ok }) => {
    if (!ok || String(payload.chat_id) !== String(DEV_CHAT.id)) return;
    if (method === "sendChatAction") {
      if (!typingShown) say(dim("bot is typing…"));
      typingShown = true;
    } else if (method === "sendMessageDraft" || method === "sendRichMessageDraft") {
      const turn = turns.get(Number(payload.draft_id));
      // Not a turn of this run (nothing would end its line), or a frame after its answer,
      // which Telegram would not show either.
      if (!turn || turn.draftsEnded) return;
      turn.frames++;
      turn.showing();
      drafting = turn;
      if (interactive) out.live(dim(draftLine(shownText(payload), out.columns)));
    } else if (method === "sendMessage" || method === "sendRichMessage") {
      const replyTo = payload.reply_parameters?.message_id ?? payload.reply_to_message_id;
      // Without a reply (the later parts of a long answer), it belongs to the draft being written.
      const turn = replyTo === undefined ? drafting : (turnOfMessage.get(Number(replyTo)) ?? null);
      const endLive = turn !== null && turn === drafting;
      if (turn) {
        endDrafts(turn);
        turn.showing();
      }
      if (endLive) drafting = null;
      out.line(block("bot> ", shownText(payload)), { endLive });
    } else if (method === "editMessageText") {
      say(block("bot> ", shownText(payload)));
    }
  });

  // Telegram's update ids only grow, and the bot relies on it (a /stop ends the turns
  // below its id, history is ordered by it), also across console runs on the same
  // Firestore: so they follow the clock (ms), and a run never reuses an earlier run's ids.
  let updateId = 0;
  let messageId = 0;
  const newTurn = (text) => {
    updateId = Math.max(updateId + 1, Date.now());
    const turn = { id: updateId, messageId: ++messageId, text, frames: 0, draftsEnded: false };
    // Settles once the turn shows something (a draft frame, its answer) or ends.
    turn.shown = new Promise((resolve) => {
      turn.showing = resolve;
    });
    turns.set(turn.id, turn);
    turnOfMessage.set(turn.messageId, turn);
    return turn;
  };
  const turnEnded = (turn) => {
    turn.showing();
    endDrafts(turn);
    if (drafting === turn) {
      // Ended without an answer (the bot failed): its draft goes, as it does in Telegram.
      drafting = null;
      if (interactive) out.live(null);
    }
    turns.delete(turn.id);
    turnOfMessage.delete(turn.messageId);
  };

  const send = async (turn) => {
    const command = turn.text.startsWith("/") ? turn.text.split(/\s/)[0] : null;
    const update = {
      update_id: turn.id,
      message: {
        message_id: turn.messageId,
        date: Math.floor(Date.now() / 1000),
        chat: DEV_CHAT,
        from: DEV_USER,
        text: turn.text,
        ...(command ? { entities: [{ type: "bot_command", offset: 0, length: command.length }] } : {}),
      },
    };
    let res;
    try {
      // The webhook answers once the turn is done, so its replies are printed by then.
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

  const rl = createInterface({
    input: process.stdin,
    output: interactive ? process.stdout : undefined,
    terminal: interactive,
  });
  rl.setPrompt("you> ");
  if (interactive) out.attach(rl);
  // The terminal is in raw mode: Ctrl-C arrives here, not as a signal; it ends the session like Ctrl-D.
  rl.on("SIGINT", () => rl.close());
  // Piped runs get Ctrl-C as a signal: close the ports and leave quietly.
  process.once("SIGINT", () => void closeAll().then(() => process.exit(130)));

  // Lines are sent without waiting for the turns before them to end (see the header).
  const inFlight = new Set();
  let failed = false; // piped: a webhook error ends the run, with exit code 1
  let bug = null; // not a ConsoleError: rethrown with its stack once the console is closed
  const post = (text) => {
    const turn = newTurn(text);
    if (!isStop(text)) typingShown = false;
    const done = send(turn)
      .catch((error) => {
        if (!(error instanceof ConsoleError)) {
          bug ??= error;
          rl.close();
        } else if (interactive) {
          say(`dev console: ${error.message}`);
        } else {
          process.stderr.write(`dev console: ${error.message}\n`);
          failed = true;
        }
      })
      .finally(() => {
        inFlight.delete(done);
        turnEnded(turn);
      });
    inFlight.add(done);
    return turn;
  };

  try {
    if (interactive) {
      say(
        "Type a message or a command (/help, /skill, /reset, /undo, /stats). An answer grows in a\n" +
          "draft line while it is written; /stop ends it. /quit, Ctrl-D or Ctrl-C quits.\n",
      );
      out.prompt();
    }
    let last = null;
    for await (const line of rl) {
      const text = line.trim();
      if (interactive) {
        if (QUIT.has(text)) break;
        if (text) post(text);
        out.prompt();
        continue;
      }
      if (!text) continue;
      // Piped: one turn at a time, in order, so the transcript reads like a chat; a /stop
      // goes as soon as the turn before it shows something (a draft, an answer) or ends.
      if (isStop(text) && last) await last.shown;
      else await Promise.all([...inFlight]);
      if (failed || bug) break;
      // Piped input is not echoed by a terminal: show it so the transcript reads well.
      say(`you> ${text}`);
      if (QUIT.has(text)) break;
      last = post(text);
    }
    // Piped: every turn sent is answered before the console exits.
    if (!interactive) await Promise.all([...inFlight]);
  } finally {
    log?.close();
    // Leave the shell prompt on a line of its own after Ctrl-D / Ctrl-C.
    if (interactive) process.stdout.write("\n");
    rl.close();
    await closeAll();
  }
  if (bug) throw bug;
  return failed ? 1 : 0;
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
