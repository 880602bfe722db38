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
  /** Telegram's stop button on a draft (Bot API: sendMessageDraft can_stop). */
  stopped_message_generation: z
    .looseObject({ chat: Chat, draft_id: z.number().int(), message_thread_id: z.number().int().optional() })
    .optional(),
});
export type ValidUpdate = z.infer<typeof UpdateSchema>;

/** The chat an update belongs to (for the per-chat queue and log ids), if any. */
export function updateIds(u: ValidUpdate): { chatId?: number; userId?: number } {
  const m = u.message ?? u.edited_message ?? u.channel_post;
  return {
    chatId: m?.chat.id ?? u.stopped_message_generation?.chat.id,
    userId: m?.from?.id ?? u.callback_query?.from.id,
  };
}

/** What this bot answers: messages, and the stop button on its drafts. */
export function isHandled(u: ValidUpdate): boolean {
  return (
    (u.message !== undefined && u.message.from !== undefined) || u.stopped_message_generation !== undefined
  );
}

/**
 * A request to stop a generation (/stop, or the stop button on a draft). It must not
 * wait in the chat's queue behind the very turn it stops.
 */
export function isStop(u: ValidUpdate): boolean {
  if (u.stopped_message_generation) return true;
  const text = u.message?.text ?? "";
  return /^\/stop(@\w+)?(\s|$)/i.test(text);
}
