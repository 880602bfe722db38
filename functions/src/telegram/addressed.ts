import type { Message, MessageEntity, UserFromGetMe } from "grammy/types";

/** Message fields that carry something a user wrote or sent (anything else is a service message). */
const CONTENT = [
  "text",
  "photo",
  "document",
  "voice",
  "audio",
  "video",
  "video_note",
  "sticker",
  "animation",
  "location",
  "venue",
  "contact",
  "poll",
  "dice",
  "story",
] as const;

/** Joins, leaves, pins, title changes…: never answered, never refused. */
export function isServiceMessage(msg: Message): boolean {
  return !CONTENT.some((k) => k in msg);
}

/** The command at the start of a message: its name, and the bot it names (`/help@otherbot`), if any. */
export function leadingCommand(msg: Message): { name: string; target: string | null } | null {
  const entity = (msg.entities ?? []).find((e) => e.type === "bot_command" && e.offset === 0);
  if (!entity || !msg.text) return null;
  const [name, target] = msg.text.slice(1, entity.length).split("@");
  return { name: name!.toLowerCase(), target: target ?? null };
}

const sameName = (a: string, b: string | undefined) => b !== undefined && a.toLowerCase() === b.toLowerCase();

function mentions(text: string, entities: readonly MessageEntity[], me: UserFromGetMe): boolean {
  return entities.some(
    (e) =>
      (e.type === "mention" && sameName(text.slice(e.offset + 1, e.offset + e.length), me.username)) ||
      (e.type === "text_mention" && e.user.id === me.id),
  );
}

/**
 * Whether a message in a group is for this bot: one of our own commands (`/cmd`
 * or `/cmd@us`; usernames compare case-insensitively, as Telegram's do), a
 * mention of the bot in the text or a caption, or a reply to one of its
 * messages. `/help@otherbot` and commands we do not have never start a paid
 * model turn. In a private chat everything but another bot's command is ours.
 */
export function isForUs(msg: Message, me: UserFromGetMe, ours: ReadonlySet<string>): boolean {
  const command = leadingCommand(msg);
  if (command?.target && !sameName(command.target, me.username)) return false;
  if (msg.chat.type === "private") return true;
  if (command) return command.target !== null || ours.has(command.name);
  if (msg.reply_to_message?.from?.id === me.id) return true;
  if (msg.text !== undefined) return mentions(msg.text, msg.entities ?? [], me);
  if (msg.caption !== undefined) return mentions(msg.caption, msg.caption_entities ?? [], me);
  return false;
}
