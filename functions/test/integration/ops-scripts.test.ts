import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeTelegram, startFakeTelegram } from "../../devtools/fake-telegram.js";
import { VERIFY_UPDATE, verifyWebhook } from "../../scripts/telegram-ops.mjs";
import { LOCALES } from "../../src/i18n/locale.js";
import { COMMAND_NAMES, commandMenu } from "../../src/telegram/commands.js";
import { localSecrets, WEBHOOK_URL } from "../support/e2e.js";

// The ops scripts run as a developer would run them (a child Node process) against
// the loopback Bot API. set-webhook imports the command menus from lib/, which
// `npm test` builds first. Its secret check posts to a loopback stand-in of the
// deployed function, and to the real telegramWebhook in the functions emulator.

const run = promisify(execFile);
const functionsDir = fileURLToPath(new URL("../../", import.meta.url));
const TOKEN = "123:abc";
const SECRET = "s3cret";
// functions/.env's TELEGRAM_BOT_USERNAME: the bot the fake answers getMe for by default.
const USERNAME = "agent_bot";

let fake: FakeTelegram;

/** A stand-in for the deployed function: 200 for the right secret header, else 401. */
interface StandIn {
  url: string;
  requests: Array<{ secret: string | undefined; body: unknown }>;
  answer: number | null;
}
let standIn: StandIn;
let standInServer: Server;
let HOOK: string;

/**
 * A stand-in for `firebase functions:secrets:access NAME --project ID` first on PATH,
 * answering like the real CLI: notices, then the value as the last stdout line; for
 * an unknown name, what the CLI prints when nobody is signed in (on stdout, exit 1).
 */
function fakeFirebaseCli(values: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "fake-firebase-"));
  const log = join(dir, "calls.log");
  const cases = Object.entries(values)
    .map(
      ([name, value]) =>
        `  ${name}) echo "⚠  Unable to fetch the CLI MOTD and remote config."; echo; echo '${value}' ;;`,
    )
    .join("\n");
  writeFileSync(
    join(dir, "firebase"),
    `#!/bin/sh\necho "$*" >> '${log}'\ncase "$2" in\n${cases}\n  *) echo; echo "Error: Failed to authenticate, have you run firebase login?"; exit 1 ;;\nesac\n`,
    { mode: 0o755 },
  );
  return {
    dir,
    calls: () => readFileSync(log, "utf8").trim().split("\n"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs scripts/<name> with the fake's URL; never throws, so exit codes can be asserted. */
async function script(name: string, args: string[], env: Record<string, string | undefined> = {}) {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TELEGRAM_API_ROOT: fake.url,
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    ...env,
  };
  // A developer's WEBHOOK_URL must not leak into the tests that derive the URL.
  delete childEnv.WEBHOOK_URL;
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete childEnv[name];
  try {
    // Async on purpose: the fake answers from this process's event loop.
    const { stdout, stderr } = await run(process.execPath, [`scripts/${name}`, ...args], {
      cwd: functionsDir,
      env: childEnv,
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

beforeAll(async () => {
  fake = await startFakeTelegram({ port: 0, username: USERNAME });
  standIn = { url: "", requests: [], answer: null };
  standInServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const secret = req.headers["x-telegram-bot-api-secret-token"] as string | undefined;
      standIn.requests.push({ secret, body: JSON.parse(Buffer.concat(chunks).toString() || "null") });
      const status = standIn.answer ?? (secret === SECRET ? 200 : 401);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: status === 200 }));
    });
  });
  await new Promise<void>((resolve) => standInServer.listen(0, "127.0.0.1", resolve));
  HOOK = `http://127.0.0.1:${(standInServer.address() as AddressInfo).port}/telegramWebhook`;
});
afterAll(async () => {
  await fake?.close();
  await new Promise((resolve) => standInServer?.close(resolve));
});
beforeEach(() => {
  fake.reset();
  standIn.requests = [];
  standIn.answer = null;
});

describe("set-webhook.mjs", () => {
  it("sets the webhook with secret, allowed updates and drop flag, registers the command menus, and verifies the secret", async () => {
    const out = await script("set-webhook.mjs", ["--url", HOOK, "--drop-pending-updates"]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);

    const [setWebhook] = fake.callsFor("setWebhook");
    expect(setWebhook?.token).toBe(TOKEN);
    expect(setWebhook?.payload).toEqual({
      url: HOOK,
      secret_token: SECRET,
      allowed_updates: ["message", "stopped_message_generation"],
      max_connections: 40,
      drop_pending_updates: true,
    });
    // The default menu (English, no language_code), then one per shipped language.
    const menus = fake.callsFor("setMyCommands").map((c) => c.payload);
    expect(menus.map((m) => m.language_code)).toEqual([undefined, ...LOCALES]);
    expect(menus[0].commands).toEqual(commandMenu("en"));
    for (const menu of menus.slice(1)) expect(menu.commands).toEqual(commandMenu(menu.language_code));
    for (const menu of menus) {
      expect(menu.commands.map((c: { command: string }) => c.command)).toEqual([...COMMAND_NAMES]);
    }
    expect(menus.find((m) => m.language_code === "es").commands).toContainEqual({
      command: "reset",
      description: "Olvidar el historial de este chat",
    });

    // One test update, as Telegram would send it, of a type the bot ignores.
    expect(standIn.requests).toEqual([{ secret: SECRET, body: VERIFY_UPDATE }]);
    expect(out.stdout).toContain(`Bot: @${USERNAME}`);
    expect(out.stdout).toContain(`Webhook URL: ${HOOK}`);
    expect(out.stdout).toContain("Webhook was set");
    expect(out.stdout).toContain("Verified: the function accepts the secret (it answered 200");
    // The token travels in the request path only; the secret is never printed.
    expect(out.stdout).not.toContain(TOKEN);
    expect(out.stdout).not.toContain(SECRET);
  });

  it("leaves pending updates alone unless asked, and takes --max-connections", async () => {
    const out = await script("set-webhook.mjs", ["--url", HOOK, "--max-connections", "5"]);
    expect(out.code).toBe(0);
    const payload = fake.callsFor("setWebhook")[0]?.payload;
    expect(payload).not.toHaveProperty("drop_pending_updates");
    expect(payload?.max_connections).toBe(5);
  });

  it("derives the function URL from --project", async () => {
    // The derived URL is not reachable from here: --no-verify.
    const out = await script("set-webhook.mjs", ["--project", "my-bot-prod", "--no-verify"]);
    expect(out.code).toBe(0);
    const url = "https://us-central1-my-bot-prod.cloudfunctions.net/telegramWebhook";
    expect(out.stdout).toContain(`Webhook URL: ${url}`);
    expect(fake.callsFor("setWebhook")[0]?.payload.url).toBe(url);
    expect(out.stdout).toContain("Secret not verified (--no-verify)");
  });

  it.each([
    ["a non-https URL for the official Bot API", ["--url", "http://example.test/hook"], /must use https/],
    ["a demo project", ["--project", "demo-test"], /emulator-only demo project/],
    // .firebaserc's default is demo-telegram-agent: deriving from it must refuse too.
    ["the .firebaserc default (a demo project)", [], /emulator-only demo project/],
    ["an out-of-range --max-connections", ["--url", HOOK, "--max-connections", "500"], /1 to 100/],
  ])("refuses %s without calling Telegram", async (_name, args, message) => {
    const out = await script("set-webhook.mjs", args, { TELEGRAM_API_ROOT: "https://api.telegram.org" });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(message);
    expect(fake.calls).toHaveLength(0);
  });

  it("accepts an http URL when TELEGRAM_API_ROOT is a self-hosted Bot API server (--local mode delivers to http)", async () => {
    const out = await script("set-webhook.mjs", ["--url", HOOK]);
    expect(out.code).toBe(0);
    expect(fake.callsFor("setWebhook")[0]?.payload.url).toBe(HOOK);
  });

  it.each([
    // What `npm run dev` writes into functions/.secret.local.
    [
      "webhook secret",
      { TELEGRAM_WEBHOOK_SECRET: `local-${randomBytes(12).toString("hex")}` },
      /Pass --project <id> to read the deployed value from Secret Manager, or export TELEGRAM_WEBHOOK_SECRET\./,
    ],
    [
      "bot token",
      { TELEGRAM_BOT_TOKEN: "123456789:local-dev-token-not-real" },
      /the token @BotFather gave you/,
    ],
  ])("refuses the local placeholder %s without calling Telegram", async (name, env, hint) => {
    const out = await script("set-webhook.mjs", ["--url", HOOK], env);
    expect(out.code).toBe(1);
    const variable = Object.keys(env)[0];
    expect(out.stderr).toContain(`${variable} (from the environment) is the local-only placeholder`);
    expect(out.stderr, name).toMatch(hint);
    expect(fake.calls).toHaveLength(0);
    expect(standIn.requests).toHaveLength(0);
  });

  it("fails, naming the fix, when the function rejects the secret (401)", async () => {
    standIn.answer = 401;
    const out = await script("set-webhook.mjs", ["--url", HOOK]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("the webhook is set, but the function rejected the secret");
    expect(out.stderr).toContain("Run set-webhook with --project <id>");
    expect(out.stderr).toContain("npx firebase deploy --only functions");
    expect(out.stderr).not.toContain(SECRET);
    expect(standIn.requests).toHaveLength(1);
  });

  it.each([
    [404, /no function at that URL \(404\): deploy first/],
    [403, /public invoker/],
    [500, /function init failed/],
  ])("explains a %i from the function", async (status, message) => {
    standIn.answer = status;
    const out = await script("set-webhook.mjs", ["--url", HOOK]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(message);
  });

  it("skips the check with --no-verify", async () => {
    standIn.answer = 401;
    const out = await script("set-webhook.mjs", ["--url", HOOK, "--no-verify"]);
    expect(out.code).toBe(0);
    expect(standIn.requests).toHaveLength(0);
    expect(out.stdout).toContain("Secret not verified (--no-verify)");
  });

  it("is told 401 by the real telegramWebhook (functions emulator) for a secret it does not have", async () => {
    const out = await script("set-webhook.mjs", ["--url", WEBHOOK_URL]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("the function rejected the secret");
  });

  it("with --project, reads the secrets it was not given from the project's Secret Manager (firebase CLI)", async () => {
    const cli = fakeFirebaseCli({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: SECRET });
    try {
      const out = await script("set-webhook.mjs", ["--project", "my-bot-prod", "--no-verify"], {
        TELEGRAM_BOT_TOKEN: undefined,
        TELEGRAM_WEBHOOK_SECRET: undefined,
        PATH: `${cli.dir}:${process.env.PATH}`,
      });
      expect(out.stderr).toBe("");
      expect(out.code).toBe(0);
      expect(cli.calls()).toEqual([
        "functions:secrets:access TELEGRAM_BOT_TOKEN --project my-bot-prod",
        "functions:secrets:access TELEGRAM_WEBHOOK_SECRET --project my-bot-prod",
      ]);
      expect(fake.callsFor("setWebhook")[0]?.token).toBe(TOKEN);
      expect(fake.callsFor("setWebhook")[0]?.payload.secret_token).toBe(SECRET);
    } finally {
      cli.remove();
    }
  });

  it("says why when the firebase CLI cannot read Secret Manager (not signed in)", async () => {
    const cli = fakeFirebaseCli({});
    try {
      const out = await script("set-webhook.mjs", ["--project", "my-bot-prod"], {
        TELEGRAM_BOT_TOKEN: undefined,
        PATH: `${cli.dir}:${process.env.PATH}`,
      });
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(
        "could not read TELEGRAM_BOT_TOKEN from Secret Manager of my-bot-prod: Error: Failed to authenticate, have you run firebase login?",
      );
      expect(out.stderr).toContain("npx firebase login");
      expect(fake.calls).toHaveLength(0);
    } finally {
      cli.remove();
    }
  });

  it("refuses a TELEGRAM_BOT_USERNAME that is not this bot's, before changing anything on Telegram", async () => {
    fake.setUsername("my_real_bot");
    const out = await script("set-webhook.mjs", ["--project", "my-bot-prod", "--no-verify"]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('TELEGRAM_BOT_USERNAME is "agent_bot" (from functions/.env)');
    expect(out.stderr).toContain("this token belongs to @my_real_bot");
    expect(out.stderr).toContain("Put TELEGRAM_BOT_USERNAME=my_real_bot in functions/.env.my-bot-prod");
    expect(fake.calls.map((c) => c.method)).toEqual(["getMe"]);
  });

  it("reads TELEGRAM_BOT_USERNAME from functions/.env.<project> and compares it case-insensitively", async () => {
    const project = `ops-test-${randomBytes(4).toString("hex")}`;
    const file = join(functionsDir, `.env.${project}`);
    // A dotfile: the functions emulator's file watcher ignores it.
    writeFileSync(file, "# test\nTELEGRAM_BOT_USERNAME='My_Real_Bot'\n");
    try {
      fake.setUsername("my_real_bot");
      const out = await script("set-webhook.mjs", ["--project", project, "--no-verify"]);
      expect(out.stderr).toBe("");
      expect(out.code).toBe(0);
      expect(out.stdout).toContain("Bot: @my_real_bot");
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("stops with Telegram's answer when getMe rejects the token", async () => {
    fake.failNext("getMe", { error_code: 401, description: "Unauthorized" });
    const out = await script("set-webhook.mjs", ["--url", HOOK]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("Telegram rejected TELEGRAM_BOT_TOKEN (getMe: Unauthorized)");
    expect(fake.callsFor("setWebhook")).toHaveLength(0);
  });

  it("exits non-zero with Telegram's description when the answer is ok:false", async () => {
    fake.failNext("setWebhook", {
      error_code: 400,
      description: "Bad Request: bad webhook: HTTPS url must be provided",
    });
    const out = await script("set-webhook.mjs", ["--url", HOOK]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("setWebhook failed: Bad Request: bad webhook");
    // Commands are not registered for a bot whose webhook could not be set.
    expect(fake.callsFor("setMyCommands")).toHaveLength(0);
  });

  it("exits non-zero naming the menu Telegram refused", async () => {
    fake.failNext("setMyCommands", {
      error_code: 400,
      description: "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
    });
    const out = await script("set-webhook.mjs", ["--url", HOOK]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      "setMyCommands default failed: Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
    );
    expect(fake.callsFor("setMyCommands")).toHaveLength(1);
  });
});

describe("verifyWebhook against the real telegramWebhook (functions emulator)", () => {
  it("gets 200 for the secret the function has, 401 for another one", async () => {
    // The update set-webhook posts is one the function ignores: nothing is written or sent.
    expect(await verifyWebhook(WEBHOOK_URL, localSecrets().TELEGRAM_WEBHOOK_SECRET!)).toEqual({
      ok: true,
      status: 200,
      problem: null,
    });
    const wrong = await verifyWebhook(WEBHOOK_URL, "not-the-secret");
    expect(wrong).toMatchObject({ ok: false, status: 401 });
  });
});

describe("webhook-info.mjs", () => {
  it("prints the URL set by set-webhook", async () => {
    expect((await script("set-webhook.mjs", ["--url", HOOK])).code).toBe(0);
    const out = await script("webhook-info.mjs", []);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`^url\\s+${HOOK}$`, "m"));
    expect(out.stdout).toMatch(/^pending_update_count\s+0$/m);
    expect(out.stdout).toMatch(/^last_error_date\s+never$/m);
  });

  it("exits non-zero when Telegram rejects the token", async () => {
    fake.failNext("getWebhookInfo", { error_code: 401, description: "Unauthorized" });
    const out = await script("webhook-info.mjs", []);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("getWebhookInfo failed: Unauthorized");
  });

  it("shows the last error as ISO time, and the raw answer with --json", async () => {
    const info = {
      url: HOOK,
      has_custom_certificate: false,
      pending_update_count: 7,
      last_error_date: 1_700_000_000,
      last_error_message: "Wrong response from the webhook: 500 Internal Server Error",
      max_connections: 40,
      allowed_updates: ["message", "stopped_message_generation"],
    };
    // Last in the file: custom handlers survive fake.reset().
    fake.handle("getWebhookInfo", () => info);

    const out = await script("webhook-info.mjs", []);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^pending_update_count\s+7$/m);
    expect(out.stdout).toMatch(/^last_error_date\s+2023-11-14T22:13:20\.000Z$/m);
    expect(out.stdout).toMatch(/^last_error_message\s+Wrong response from the webhook: 500/m);
    expect(out.stdout).toMatch(/^max_connections\s+40$/m);
    expect(out.stdout).toMatch(/^allowed_updates\s+message, stopped_message_generation$/m);

    const raw = await script("webhook-info.mjs", ["--json"]);
    expect(JSON.parse(raw.stdout)).toEqual({ ok: true, result: info });
  });
});
