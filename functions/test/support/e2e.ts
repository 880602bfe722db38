import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type FakeAnthropic, startFakeAnthropic } from "../../devtools/fake-anthropic.js";
import { type FakeTelegram, startFakeTelegram } from "../../devtools/fake-telegram.js";
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

export interface UpdateOptions {
  updateId?: number;
  userId?: number;
  firstName?: string;
  chatType?: "private" | "group" | "supergroup";
  /** Anonymous admin (the group itself) or a channel posting in the group. */
  senderChat?: { id: number; type: "group" | "supergroup" | "channel"; title: string };
  /** The message replies to one from this user (e.g. the bot's id). */
  replyToFrom?: number;
  /** A topic of a forum supergroup (or of a private chat with topics). */
  threadId?: number;
  /** The sender's app language as Telegram reports it ("es", "pt-BR"); null: none reported. Default "en". */
  languageCode?: string | null;
}

/** Entities Telegram would attach: a leading command and every @mention. */
function entitiesOf(text: string) {
  const entities: { type: string; offset: number; length: number }[] = [];
  if (text.startsWith("/"))
    entities.push({ type: "bot_command", offset: 0, length: text.split(/\s/)[0]!.length });
  for (const m of text.matchAll(/@[A-Za-z0-9_]{3,}/g)) {
    if (m.index === 0 && text.startsWith("/")) continue;
    if (text[m.index - 1] === "/" || /\S/.test(text[m.index - 1] ?? " ")) continue;
    entities.push({ type: "mention", offset: m.index, length: m[0].length });
  }
  return entities;
}

export function textUpdate(chatId: number, text: string, opts: UpdateOptions = {}) {
  const userId = opts.userId ?? chatId;
  const chatType = opts.chatType ?? "private";
  const entities = entitiesOf(text);
  return {
    update_id: opts.updateId ?? nextUpdateId(),
    message: {
      message_id: Math.floor(Math.random() * 1e6),
      date: Math.floor(Date.now() / 1000),
      chat:
        chatType === "private"
          ? { id: chatId, type: "private", first_name: "Test" }
          : { id: chatId, type: chatType, title: "Test group", ...(opts.threadId ? { is_forum: true } : {}) },
      ...(opts.threadId ? { message_thread_id: opts.threadId, is_topic_message: true } : {}),
      from: {
        id: userId,
        is_bot: false,
        first_name: opts.firstName ?? "Test",
        ...(opts.languageCode === null ? {} : { language_code: opts.languageCode ?? "en" }),
      },
      ...(opts.senderChat ? { sender_chat: opts.senderChat } : {}),
      ...(opts.replyToFrom
        ? {
            reply_to_message: {
              message_id: 1,
              date: Math.floor(Date.now() / 1000),
              chat: { id: chatId, type: chatType },
              from: { id: opts.replyToFrom, is_bot: true, first_name: "Bot" },
              text: "earlier",
            },
          }
        : {}),
      text,
      ...(entities.length > 0 ? { entities } : {}),
    },
  };
}

/** A file registered with the fake Bot API (see FakeTelegram.addFile). */
interface SentFile {
  file_id: string;
  file_unique_id: string;
  file_size: number;
}

/** A message carrying media, as Telegram sends it (one update per album item). */
export function mediaUpdate(
  chatId: number,
  media:
    | { photo: SentFile; width: number; height: number }
    | { document: SentFile; name?: string; mime?: string }
    | { voice: true },
  opts: UpdateOptions & { caption?: string; mediaGroupId?: string } = {},
) {
  const base = textUpdate(chatId, "", opts);
  const { text: _text, entities: _entities, ...message } = base.message as Record<string, unknown>;
  let content: Record<string, unknown>;
  if ("photo" in media) {
    const { file_id, file_unique_id, file_size } = media.photo;
    content = {
      photo: [
        // Telegram sends several sizes; the bot takes the largest within its limits.
        {
          file_id: `${file_id}_thumb`,
          file_unique_id: `${file_unique_id}_t`,
          width: 90,
          height: 60,
          file_size: 1_000,
        },
        { file_id, file_unique_id, width: media.width, height: media.height, file_size },
      ],
    };
  } else if ("document" in media) {
    const { file_id, file_unique_id, file_size } = media.document;
    content = {
      document: {
        file_id,
        file_unique_id,
        file_size,
        ...(media.name ? { file_name: media.name } : {}),
        ...(media.mime ? { mime_type: media.mime } : {}),
      },
    };
  } else {
    content = { voice: { file_id: "voice1", file_unique_id: "voiceU1", duration: 3, file_size: 9_000 } };
  }
  return {
    update_id: base.update_id,
    message: {
      ...message,
      ...content,
      ...(opts.caption ? { caption: opts.caption } : {}),
      ...(opts.mediaGroupId ? { media_group_id: opts.mediaGroupId } : {}),
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

/**
 * Delivers an update the way Telegram does: again and again, a moment apart, until
 * the webhook answers 200 (for up to `giveUpMs`, a hang detector: a duplicate gets 503
 * for as long as its original is in flight, however slow this machine is). Returns
 * every status seen (the last one is 200).
 */
export async function deliverLikeTelegram(update: unknown, giveUpMs = 90_000): Promise<number[]> {
  const statuses: number[] = [];
  const giveUp = Date.now() + giveUpMs;
  for (;;) {
    const { status } = await post(update);
    statuses.push(status);
    if (status === 200) return statuses;
    if (Date.now() > giveUp) throw new Error(`no 200 within ${giveUpMs} ms: ${statuses.join(",")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
