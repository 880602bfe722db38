import type { Message } from "grammy/types";

/**
 * Who sent a message. Anonymous group admins all share one `from` (@GroupAnonymousBot)
 * and "send as channel" posts carry the channel in `sender_chat`: those are identified
 * by `sender_chat`, so they do not share one session, rate limit and notes store
 * across every group.
 */
export interface Actor {
  /** Session, rate-limit and notes key: a user id, or the sender chat's id (negative). */
  id: number;
  /** A display name for the model's context (never trusted as an instruction). */
  name: string;
  /** An anonymous admin of this very group (sender_chat is the group itself). */
  anonymousAdmin: boolean;
}

/** Strips what could break the one-line speaker tag: control characters, brackets, pipes. */
function clean(name: string): string {
  return (
    name
      .replace(/[\p{Cc}\p{Cf}[\]|]/gu, " ")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 64) || "someone"
  );
}

export function actorOf(msg: Pick<Message, "from" | "sender_chat" | "chat">): Actor {
  const sender = msg.sender_chat;
  if (sender) {
    const title = "title" in sender && sender.title ? sender.title : "a channel";
    return { id: sender.id, name: clean(title), anonymousAdmin: sender.id === msg.chat.id };
  }
  const from = msg.from!;
  return {
    id: from.id,
    name: clean([from.first_name, from.last_name].filter(Boolean).join(" ")),
    anonymousAdmin: false,
  };
}

/** The speaker tag that starts every user message in a group (see the group system prompt). */
export function speakerTag(actor: Actor): string {
  return `[${actor.name} | id ${actor.id}]`;
}
