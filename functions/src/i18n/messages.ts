// The key set of the message catalogue: every fixed text the bot says, and what each
// placeable holds. The .ftl files are checked against this table by a unit test (same
// keys, same placeables), and `t()` takes only these keys with exactly these values, so
// a missing or misspelt key fails the build or that test.

/**
 * What a placeable holds, which decides how `t()` inserts it:
 * - text: a value someone chose (a first name, a skill name typed or stored): Markdown
 *   escaped, shown literally;
 * - markdown: Markdown the bot built itself (e.g. the persona list): inserted as is;
 * - number: formatted for the locale (digit grouping, decimal sign, plural category);
 * - usd: an amount in US dollars, formatted for the locale with 4 decimals;
 * - keyword: an identifier from our code that a select expression branches on (never
 *   user input): passed as is.
 */
export type PlaceableKind = "text" | "markdown" | "number" | "usd" | "keyword";

export const MESSAGES = {
  // Commands and their answers (telegram/commands.ts).
  welcome: { name: "text" },
  help: { skills: "markdown" },
  "skill-list": { skills: "markdown" },
  "skill-active": {},
  "skill-switched": { name: "text" },
  "skill-unknown": { name: "text", skills: "markdown" },
  "reset-done": {},
  "reset-nothing": {},
  "undo-done": {},
  "undo-nothing": {},
  stats: {
    messages: "number",
    input: "number",
    cached: "number",
    output: "number",
    searches: "number",
    cost: "usd",
    saved: "usd",
    today: "usd",
    daily: "usd",
    dailyLimit: "keyword",
    month: "usd",
    monthly: "usd",
    monthlyLimit: "keyword",
  },
  "stats-in-private": { bot: "text" },
  // The menu Telegram shows for "/" (scripts/set-webhook.mjs registers it per language).
  "command-start": {},
  "command-help": {},
  "command-stop": {},
  "command-reset": {},
  "command-undo": {},
  "command-skill": {},
  "command-stats": {},
  // Refusals and failures of a turn (telegram/bot.ts, telegram/text-turn.ts).
  "not-allowed": {},
  "not-admin": {},
  "too-long": { max: "number", got: "number" },
  "rate-limited": { seconds: "number" },
  "text-only": {},
  "not-saved": {},
  "internal-error": {},
  // One line per album item that could not be read (telegram/media-turn.ts).
  "album-item": { n: "number", reason: "markdown" },
  // The draft's status line while a tool runs (telegram/draft-stream.ts).
  "using-tool": { tool: "text" },
  // /stop (telegram/commands.ts, telegram/turn.ts).
  "stopped-note": {},
  "stop-nothing": {},
  // A user over a budget (agent/budgets.ts); amounts only in a private chat.
  "over-budget": {
    period: "keyword",
    amounts: "keyword",
    spent: "usd",
    limit: "usd",
    resetDate: "markdown",
    wait: "markdown",
  },
  // Notices of the agent loop (agent/loop.ts), appended to or replacing the model's answer.
  "agent-iteration-limit": { steps: "number" },
  "agent-cut": {},
  "agent-cut-in-tool": {},
  "agent-empty": {},
  "agent-refused": {},
  "agent-context-exceeded": {},
  // The model's failures (agent/model-errors.ts), one per ModelFailure.
  "model-rate-limited": {},
  "model-overloaded": {},
  "model-timeout": {},
  "model-unavailable": {},
  "model-misconfigured": {},
  "model-rejected": {},
  // Media refusals (media/texts.ts), one per MediaRefusal; "-unknown" when the numbers are missing.
  "media-unsupported-kind": { kind: "keyword" },
  "media-unsupported-type": {},
  "media-too-large": { size: "number", limit: "number" },
  "media-too-large-unknown": {},
  "media-image-too-large": {},
  "media-corrupt-image": {},
  "media-pdf-too-large": {},
  "media-pdf-too-many-pages": { pages: "number", limit: "number" },
  "media-pdf-too-many-pages-unknown": { limit: "number" },
  "media-pdf-encrypted": {},
  "media-pdf-unreadable": {},
  "media-not-text": {},
  "media-empty-file": {},
  "media-text-too-long": { chars: "number", limit: "number" },
  "media-text-too-long-unknown": {},
  "media-file-unavailable": {},
  "media-download-failed": {},
  "media-timeout": {},
} as const satisfies Record<string, Readonly<Record<string, PlaceableKind>>>;

export type MessageKey = keyof typeof MESSAGES;

type ValueOf<K extends PlaceableKind> = K extends "number" | "usd" ? number : string;

/** The values a message takes, e.g. MessageVars<"welcome"> = { name: string }. */
export type MessageVars<K extends MessageKey> = {
  readonly [P in keyof (typeof MESSAGES)[K]]: (typeof MESSAGES)[K][P] extends PlaceableKind
    ? ValueOf<(typeof MESSAGES)[K][P]>
    : never;
};

/** `t(locale, key)` for a message without placeables, `t(locale, key, vars)` otherwise. */
export type VarsArg<K extends MessageKey> = keyof (typeof MESSAGES)[K] extends never
  ? []
  : [vars: MessageVars<K>];
