import { z } from "zod";

// The part of a Telegram Update we rely on, validated before anything else runs.
// Loose objects: Telegram adds fields over time and we must not reject them.

const User = z.looseObject({ id: z.number().int(), is_bot: z.boolean(), first_name: z.string() });
const Chat = z.looseObject({
  id: z.number().int(),
  type: z.enum(["private", "group", "supergroup", "channel"]),
});
const Message = z.looseObject({
  message_id: z.number().int(),
  date: z.number().int(),
  chat: Chat,
  from: User.optional(),
  text: z.string().optional(),
});

export const UpdateSchema = z.looseObject({
  update_id: z.number().int().nonnegative(),
  message: Message.optional(),
  edited_message: Message.optional(),
  channel_post: Message.optional(),
  callback_query: z.looseObject({ id: z.string(), from: User }).optional(),
});
export type ValidUpdate = z.infer<typeof UpdateSchema>;

/** The chat an update belongs to (for the per-chat queue and log ids), if any. */
export function updateIds(u: ValidUpdate): { chatId?: number; userId?: number } {
  const m = u.message ?? u.edited_message ?? u.channel_post;
  return { chatId: m?.chat.id, userId: m?.from?.id ?? u.callback_query?.from.id };
}

/** What this bot answers: messages (text and others, to say it reads only text). */
export function isHandled(u: ValidUpdate): boolean {
  return u.message !== undefined && u.message.from !== undefined;
}
