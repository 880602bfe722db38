import type { Message } from "grammy/types";
import type { Where } from "../state/conversations.js";

/**
 * The topic a message belongs to, in a forum supergroup or a private chat with
 * topics (Bot API 9.3/9.4: `is_topic_message`, `message_thread_id`). Only real
 * topics count: in other supergroups `message_thread_id` names a reply thread,
 * which is not a conversation of its own.
 */
export function threadOf(msg: Pick<Message, "is_topic_message" | "message_thread_id"> | undefined) {
  return msg?.is_topic_message ? msg.message_thread_id : undefined;
}

/** The conversation a message belongs to: its chat, or its topic. */
export function whereOf(msg: Pick<Message, "chat" | "is_topic_message" | "message_thread_id">): Where {
  return { chatId: msg.chat.id, threadId: threadOf(msg) };
}
