import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Api } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../../devtools/fake-anthropic.js";
import { type FakeTelegram, startFakeTelegram } from "../../devtools/fake-telegram.js";
import { uniquePrefix } from "../support/firestore.js";

// `npm run dev:polling` (scripts/dev-polling.mjs) as a developer runs it, against
// the loopback Bot API (TELEGRAM_API_ROOT) and Messages API, with its state in the
// Firestore emulator. Polling deletes the bot's webhook, so with a webhook set it
// must ask first, or be given --force.

const functionsDir = fileURLToPath(new URL("../../", import.meta.url));
// A token of BotFather's shape (the script refuses the local placeholder).
const TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const PROD_HOOK = "https://us-central1-my-bot-prod.cloudfunctions.net/telegramWebhook";

let telegram: FakeTelegram;
let anthropic: FakeAnthropic;
let api: Api;

beforeAll(async () => {
  [telegram, anthropic] = await Promise.all([
    startFakeTelegram({ port: 0, username: "polling_test_bot" }),
    startFakeAnthropic({ port: 0 }),
  ]);
  api = new Api(TOKEN, { apiRoot: telegram.url });
});
afterAll(async () => {
  await Promise.all([telegram?.close(), anthropic?.close()]);
});
beforeEach(() => {
  telegram.reset();
  anthropic.reset();
});

interface Run {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  /** Resolves once the combined output contains `text`. */
  shows: (text: string) => Promise<void>;
  exited: Promise<number | null>;
}

/** Starts dev-polling.mjs (optionally on a pseudo-terminal via util-linux `script`). */
function start(args: string[], opts: { terminal?: boolean } = {}): Run {
  const env = {
    ...process.env,
    TELEGRAM_API_ROOT: telegram.url,
    TELEGRAM_BOT_TOKEN: TOKEN,
    // A key of the real shape sends the model calls to ANTHROPIC_BASE_URL: the fake.
    ANTHROPIC_API_KEY: "sk-ant-test-polling",
    ANTHROPIC_BASE_URL: anthropic.url,
    COLLECTION_PREFIX: uniquePrefix(),
    LOG_LEVEL: "warn",
  };
  const node = [process.execPath, "scripts/dev-polling.mjs", ...args];
  // `script` runs the command through $SHELL -c; `exec` makes node the terminal's foreground
  // process itself. Without it, dash (SHELL=/bin/sh, or unset, as on CI) stays in between,
  // dies of the Ctrl-C the script handles, and `script -e` reports 130.
  const child = opts.terminal
    ? spawn("script", ["-qfec", `exec ${node.map((a) => `'${a}'`).join(" ")}`, "/dev/null"], {
        cwd: functionsDir,
        env,
      })
    : spawn(node[0]!, node.slice(1), { cwd: functionsDir, env });
  let output = "";
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  const onData = (d: Buffer) => {
    output += d.toString();
    for (const w of [...waiters]) {
      if (output.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    shows: (text) =>
      new Promise<void>((resolve, reject) => {
        if (output.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void exited.then(() => reject(new Error(`exited without showing "${text}":\n${output}`)));
      }),
    exited,
  };
}

describe("dev-polling.mjs", () => {
  it("refuses to delete a webhook without --force when nobody can be asked", async () => {
    await api.setWebhook(PROD_HOOK);
    const run = start([]);
    run.child.stdin.end();
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`@polling_test_bot has a webhook: ${PROD_HOOK}`);
    expect(run.output()).toContain("npm run dev:polling -- --force");
    expect(telegram.callsFor("deleteWebhook")).toHaveLength(0);
    expect((await api.getWebhookInfo()).url).toBe(PROD_HOOK);
  });

  it("with --force deletes the webhook, answers a message by polling and stops cleanly on Ctrl-C", async () => {
    await api.setWebhook(PROD_HOOK);
    const run = start(["--force"]);
    await run.shows("Message the bot in Telegram");
    expect(run.output()).toContain(`The webhook (${PROD_HOOK}) was deleted`);
    expect(telegram.callsFor("deleteWebhook")).toHaveLength(1);

    const chat = { id: 4242, type: "private", first_name: "Dev" };
    telegram.pushUpdate({
      message: {
        message_id: 1,
        date: Math.floor(Date.now() / 1000),
        chat,
        from: { ...chat, is_bot: false },
        text: "hi there",
      },
    });
    await telegram.waitFor(() => telegram.messagesTo(chat.id).length > 0, 30_000);
    expect(telegram.messagesTo(chat.id)[0].text).toContain("echo: hi there");

    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);
  });

  it("asks on a terminal, and leaves the webhook alone when told no", async () => {
    await api.setWebhook(PROD_HOOK);
    const run = start([], { terminal: true });
    await run.shows("Delete the webhook and poll here? [y/N] ");
    run.child.stdin.write("n\r");
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain("Nothing changed.");
    expect(telegram.callsFor("deleteWebhook")).toHaveLength(0);
    expect((await api.getWebhookInfo()).url).toBe(PROD_HOOK);
  });

  it("asks on a terminal, and polls when told yes", async () => {
    await api.setWebhook(PROD_HOOK);
    const run = start([], { terminal: true });
    await run.shows("[y/N] ");
    run.child.stdin.write("y\r");
    await run.shows("Message the bot in Telegram");
    expect(telegram.callsFor("deleteWebhook")).toHaveLength(1);
    // Ctrl-C on the terminal.
    run.child.stdin.write("\u0003");
    expect(await run.exited).toBe(0);
  });
});
