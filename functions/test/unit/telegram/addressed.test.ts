import type { Message, UserFromGetMe } from "grammy/types";
import { describe, expect, it } from "vitest";
import { isForUs, isServiceMessage, leadingCommand } from "../../../src/telegram/addressed.js";

const me = { id: 42, is_bot: true, first_name: "Agent", username: "agent_bot" } as UserFromGetMe;
const ours = new Set(["start", "help", "reset"]);

function msg(text: string, type = "supergroup", extra: Partial<Message> = {}): Message {
  const entities: Message["entities"] = [];
  if (text.startsWith("/"))
    entities.push({ type: "bot_command", offset: 0, length: text.split(" ")[0]!.length });
  // Telegram marks @name as a mention only where it starts a word.
  for (const m of text.matchAll(/(?<![\w@/])@\w+/g)) {
    entities.push({ type: "mention", offset: m.index, length: m[0].length });
  }
  return {
    message_id: 1,
    date: 0,
    chat: { id: -5, type, title: "g" },
    from: { id: 7, is_bot: false, first_name: "U" },
    text,
    entities,
    ...extra,
  } as Message;
}

describe("which messages are for this bot", () => {
  it("in groups: our commands (with or without @us), mentions in any case, replies to the bot", () => {
    expect(isForUs(msg("/help"), me, ours)).toBe(true);
    expect(isForUs(msg("/help@agent_bot"), me, ours)).toBe(true);
    expect(isForUs(msg("/HELP@Agent_Bot"), me, ours)).toBe(true);
    expect(isForUs(msg("hey @AGENT_BOT what's up"), me, ours)).toBe(true);
    expect(
      isForUs(
        msg("thanks", "group", {
          reply_to_message: msg("x", "group", { from: { id: 42, is_bot: true, first_name: "A" } }) as never,
        }),
        me,
        ours,
      ),
    ).toBe(true);
  });

  it("in groups: other bots' commands, unknown commands and chatter are not", () => {
    expect(isForUs(msg("/help@otherbot"), me, ours)).toBe(false);
    expect(isForUs(msg("/foo"), me, ours)).toBe(false);
    expect(isForUs(msg("hello everyone"), me, ours)).toBe(false);
    expect(isForUs(msg("mail me at x@agent_botmail.com"), me, ours)).toBe(false);
  });

  it("in private chats everything but another bot's command", () => {
    expect(isForUs(msg("hello", "private"), me, ours)).toBe(true);
    expect(isForUs(msg("/foo", "private"), me, ours)).toBe(true);
    expect(isForUs(msg("/help@otherbot", "private"), me, ours)).toBe(false);
  });

  it("a caption mention counts for media", () => {
    const photo = {
      ...msg(""),
      text: undefined,
      entities: undefined,
      caption: "look @agent_bot",
      caption_entities: [{ type: "mention", offset: 5, length: 10 }],
      photo: [],
    } as unknown as Message;
    expect(isForUs(photo, me, ours)).toBe(true);
  });

  it("service messages are recognised; commands are parsed with their target", () => {
    const join = {
      message_id: 1,
      date: 0,
      chat: { id: -5, type: "group", title: "g" },
      new_chat_members: [],
    } as unknown as Message;
    expect(isServiceMessage(join)).toBe(true);
    expect(isServiceMessage(msg("hi"))).toBe(false);
    expect(leadingCommand(msg("/Skill@Agent_bot pirate"))).toEqual({ name: "skill", target: "Agent_bot" });
    expect(leadingCommand(msg("no command"))).toBeNull();
  });
});
