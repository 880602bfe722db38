// Everything the bot says outside of Claude's answers, in one place.
export const TEXT = {
  welcome: (name: string) =>
    `Hi ${name}! I'm an assistant powered by Claude. Just write to me.\n\n` +
    "I remember our conversation, can use tools (time, arithmetic, your notes) and switch personas with /skill. " +
    "Send /help for the commands.",
  help: (skills: string) =>
    "Commands:\n" +
    "/start – welcome\n" +
    "/help – this help\n" +
    "/reset – forget this chat's history\n" +
    "/undo – remove the last exchange\n" +
    "/skill – list personas; /skill <name> switches\n" +
    "/stats – your messages, tokens and estimated cost\n\n" +
    `Personas:\n${skills}`,
  notAllowed: "Sorry, this bot is private and you're not on its list of users.",
  tooLong: (max: number, got: number) =>
    `That message is too long for me (${got} characters; the limit is ${max}). Please shorten it or split it up.`,
  rateLimited: (sec: number) =>
    `You're sending messages faster than I can keep up. Please wait about ${sec} s.`,
  textOnly: "I can only read text messages for now.",
  reset: "Done: I've forgotten this chat's history.",
  nothingToReset: "There's no history to forget.",
  undone: "Removed the last exchange.",
  nothingToUndo: "There's nothing to undo.",
  skillSwitched: (name: string) => `Switched to ${name}.`,
  unknownSkill: (name: string, list: string) => `There's no persona called "${name}". Available:\n${list}`,
  stats: (s: { messages: number; input: number; output: number; cached: number; cost: number }) =>
    `Your usage so far:\n` +
    `Messages: ${s.messages}\n` +
    `Tokens in: ${s.input} (+${s.cached} from cache)\n` +
    `Tokens out: ${s.output}\n` +
    `Estimated cost: $${s.cost.toFixed(4)}`,
  notSaved: "\n\n(I couldn't save this exchange, so I may not remember it. Sorry about that.)",
  storeDown: "I'm having trouble with my storage right now. Please try again in a moment.",
  internal: "Something went wrong on my side. Please try again.",
} as const;
