import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type FakeAnthropic, startFakeAnthropic } from "../../src/devtools/fake-anthropic.js";
import { type FakeTelegram, startFakeTelegram } from "../../src/devtools/fake-telegram.js";
import { type Conversation, ConversationSchema } from "../../src/state/schemas.js";
import { emulatorClient, uid } from "./firestore.js";

// Ports fixed in functions/.env.demo-test (TELEGRAM_API_ROOT / ANTHROPIC_BASE_URL).
export const TELEGRAM_PORT = 18781;
export const ANTHROPIC_PORT = 18782;
export const PROJECT = process.env.GCLOUD_PROJECT ?? "demo-test";
export const WEBHOOK_URL = `http://127.0.0.1:5001/${PROJECT}/us-central1/telegramWebhook`;

/** The secrets the functions emulator loaded (scripts/ensure-local-secrets.mjs wrote any missing ones). */
export function localSecrets(): Record<string, string> {
  const text = readFileSync(join(import.meta.dirname, "..", "..", ".secret.local"), "utf8");
  return Object.fromEntries(
    text
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")).trim(), l.slice(l.indexOf("=") + 1).trim()]),
  );
}

export async function startFakes(): Promise<{ telegram: FakeTelegram; anthropic: FakeAnthropic }> {
  const [telegram, anthropic] = await Promise.all([
    startFakeTelegram({ port: TELEGRAM_PORT }),
    startFakeAnthropic({ port: ANTHROPIC_PORT }),
  ]);
  return { telegram, anthropic };
}

let nextUpdate = 500_000_000 + Math.floor(Math.random() * 100_000_000);
export const nextUpdateId = () => nextUpdate++;

export function textUpdate(chatId: number, text: string, opts: { updateId?: number; userId?: number } = {}) {
  const userId = opts.userId ?? chatId;
  return {
    update_id: opts.updateId ?? nextUpdateId(),
    message: {
      message_id: Math.floor(Math.random() * 1e6),
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private", first_name: "Test" },
      from: { id: userId, is_bot: false, first_name: "Test", language_code: "en" },
      text,
      ...(text.startsWith("/")
        ? { entities: [{ type: "bot_command", offset: 0, length: text.split(" ")[0]!.length }] }
        : {}),
    },
  };
}

export async function post(
  body: unknown,
  opts: { secret?: string | null; raw?: string; url?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const secret = opts.secret === undefined ? localSecrets().TELEGRAM_WEBHOOK_SECRET! : opts.secret;
  if (secret !== null) headers["x-telegram-bot-api-secret-token"] = secret;
  const res = await fetch(opts.url ?? WEBHOOK_URL, {
    method: "POST",
    headers,
    body: opts.raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // non-JSON error bodies stay text
  }
  return { status: res.status, body: parsed };
}

export const newChat = () => uid();

/** A chat's stored conversation, decoded as the app reads it (turns in update order). */
export async function storedConversation(chatId: number, prefix = ""): Promise<Conversation | undefined> {
  const snap = await emulatorClient().collection(`${prefix}conversations`).doc(String(chatId)).get();
  return snap.exists ? ConversationSchema.parse(snap.data()) : undefined;
}

export async function claimExists(updateId: number): Promise<boolean> {
  return (await emulatorClient().collection("updates").doc(String(updateId)).get()).exists;
}

/** Texts sent to a chat, in order. */
export function sentTexts(telegram: FakeTelegram, chatId: number): string[] {
  return telegram.messagesTo(chatId).map((p) => String(p.text));
}
