import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeTelegram, startFakeTelegram } from "../../src/devtools/fake-telegram.js";
import { COMMANDS } from "../../src/telegram/commands.js";

// The ops scripts run as a developer would run them (a child Node process) against
// the loopback Bot API. set-webhook imports the command list from lib/, which
// `npm test` builds first.

const run = promisify(execFile);
const functionsDir = fileURLToPath(new URL("../../", import.meta.url));
const TOKEN = "123:abc";
const SECRET = "s3cret";
const HOOK = "https://example.test/hook";

let fake: FakeTelegram;

/** Runs scripts/<name> with the fake's URL; never throws, so exit codes can be asserted. */
async function script(name: string, args: string[], env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TELEGRAM_API_ROOT: fake.url,
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    ...env,
  };
  // A developer's WEBHOOK_URL must not leak into the tests that derive the URL.
  delete childEnv.WEBHOOK_URL;
  try {
    // Async on purpose: the fake answers from this process's event loop.
    const { stdout, stderr } = await run(process.execPath, [`scripts/${name}`, ...args], {
      cwd: functionsDir,
      env: childEnv,
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

beforeAll(async () => {
  fake = await startFakeTelegram({ port: 0 });
});
afterAll(() => fake?.close());
beforeEach(() => fake.reset());

describe("set-webhook.mjs", () => {
  it("sets the webhook with secret, allowed updates and drop flag, then registers the commands", async () => {
    const out = await script("set-webhook.mjs", ["--url", HOOK, "--drop-pending-updates"]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);

    const [setWebhook] = fake.callsFor("setWebhook");
    expect(setWebhook?.token).toBe(TOKEN);
    expect(setWebhook?.payload).toEqual({
      url: HOOK,
      secret_token: SECRET,
      allowed_updates: ["message"],
      max_connections: 40,
      drop_pending_updates: true,
    });
    const [setMyCommands] = fake.callsFor("setMyCommands");
    expect(setMyCommands?.payload.commands).toHaveLength(6);
    expect(setMyCommands?.payload.commands).toEqual(COMMANDS);

    expect(out.stdout).toContain(`Webhook URL: ${HOOK}`);
    expect(out.stdout).toContain("Webhook was set");
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
    const out = await script("set-webhook.mjs", ["--project", "my-bot-prod"]);
    expect(out.code).toBe(0);
    const url = "https://us-central1-my-bot-prod.cloudfunctions.net/telegramWebhook";
    expect(out.stdout).toContain(`Webhook URL: ${url}`);
    expect(fake.callsFor("setWebhook")[0]?.payload.url).toBe(url);
  });

  it.each([
    ["a non-https URL", ["--url", "http://example.test/hook"], /must use https/],
    ["a demo project", ["--project", "demo-test"], /emulator-only demo project/],
    // .firebaserc's default is demo-telegram-agent: deriving from it must refuse too.
    ["the .firebaserc default (a demo project)", [], /emulator-only demo project/],
    ["an out-of-range --max-connections", ["--url", HOOK, "--max-connections", "500"], /1 to 100/],
  ])("refuses %s without calling Telegram", async (_name, args, message) => {
    const out = await script("set-webhook.mjs", args);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(message);
    expect(fake.calls).toHaveLength(0);
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
      allowed_updates: ["message"],
    };
    // Last in the file: custom handlers survive fake.reset().
    fake.handle("getWebhookInfo", () => info);

    const out = await script("webhook-info.mjs", []);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^pending_update_count\s+7$/m);
    expect(out.stdout).toMatch(/^last_error_date\s+2023-11-14T22:13:20\.000Z$/m);
    expect(out.stdout).toMatch(/^last_error_message\s+Wrong response from the webhook: 500/m);
    expect(out.stdout).toMatch(/^max_connections\s+40$/m);
    expect(out.stdout).toMatch(/^allowed_updates\s+message$/m);

    const raw = await script("webhook-info.mjs", ["--json"]);
    expect(JSON.parse(raw.stdout)).toEqual({ ok: true, result: info });
  });
});
