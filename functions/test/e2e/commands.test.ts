import { describe, expect, it } from "vitest";
import { newChat, post, sentTexts, startFakes, storedConversation, textUpdate } from "../support/e2e.js";

import { useFakes } from "../support/fakes.js";

const { telegram, anthropic } = useFakes(startFakes);

describe("commands", () => {
  it("/start welcomes and /help lists commands and skills, without a model call", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "/start"));
    await post(textUpdate(chat, "/help"));
    const [welcome, help] = sentTexts(telegram, chat);
    expect(welcome).toMatch(/Hi Test/);
    expect(help).toContain("/reset");
    expect(help).toContain("pirate");
    expect(anthropic.requests).toHaveLength(0);
  });

  it("/reset empties the chat's history", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "remember me"));
    expect((await storedConversation(chat))!.turns).toHaveLength(1);
    await post(textUpdate(chat, "/reset"));
    expect((await storedConversation(chat))!.turns).toHaveLength(0);
    expect(sentTexts(telegram, chat).at(-1)).toMatch(/forgotten/);
    await post(textUpdate(chat, "after reset"));
    const req = anthropic.requestsContaining("after reset")[0]!;
    expect(req.body.messages).toHaveLength(1);
  });

  it("/undo removes the last exchange only", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "keep this"));
    await post(textUpdate(chat, "drop this"));
    await post(textUpdate(chat, "/undo"));
    const stored = await storedConversation(chat);
    expect(stored!.turns.map((t) => t.user[0]!.text)).toEqual(["keep this"]);
    expect(sentTexts(telegram, chat).at(-1)).toMatch(/Removed the last exchange/);
    await post(textUpdate(chat, "/undo"));
    await post(textUpdate(chat, "/undo"));
    expect(sentTexts(telegram, chat).at(-1)).toMatch(/nothing to undo/i);
  });

  it("/skill lists personas and /skill <name> switches system prompt, model and tools", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "/skill"));
    expect(sentTexts(telegram, chat)[0]).toContain("pirate");
    await post(textUpdate(chat, "/skill pirate"));
    expect(sentTexts(telegram, chat).at(-1)).toBe("Switched to Pirate.");
    await post(textUpdate(chat, "ahoy"));
    const req = anthropic.requestsContaining("ahoy")[0]!;
    expect(req.body.system[0].text).toContain("pirate");
    expect(req.body.model).toBe("claude-haiku-4-5");
    expect(req.body.tools.map((t: { name: string }) => t.name)).toEqual(["calculator"]);
    await post(textUpdate(chat, "/skill nosuch"));
    expect(sentTexts(telegram, chat).at(-1)).toMatch(/no persona called "nosuch"/);
  });

  it("/stats reports this user's messages, tokens and estimated cost", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "count me"));
    await post(textUpdate(chat, "and me"));
    await post(textUpdate(chat, "/stats"));
    const stats = sentTexts(telegram, chat).at(-1)!;
    expect(stats).toMatch(/Messages: 2/);
    expect(stats).toMatch(/Tokens in: [1-9]/);
    expect(stats).toMatch(/Estimated cost: \$0\.\d{4}/);
  });
});
