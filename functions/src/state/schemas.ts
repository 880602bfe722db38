import { Timestamp } from "@google-cloud/firestore";
import { z } from "zod";

// The shape of every stored document. Each read is validated against these; a
// document that fails is logged and reset (DocIO.parse), never thrown at a user.

const ts = z.instanceof(Timestamp);

/** An Anthropic content block, kept loose: the API owns its variants. */
export const BlockSchema = z.looseObject({ type: z.string() });
export type Block = z.infer<typeof BlockSchema>;

export const MessageSchema = z.object({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(BlockSchema)]),
});
export type StoredMessage = z.infer<typeof MessageSchema>;

/**
 * One exchange: the user's message and everything the agent produced for it
 * (assistant text, tool calls and their results). History is a list of turns, so
 * trimming whole turns can never orphan a tool_result, and flattening always
 * yields user-first, alternating messages.
 */
export const TurnSchema = z.object({
  updateId: z.number().int(),
  userId: z.number().int(),
  at: ts,
  user: z.array(BlockSchema).min(1),
  reply: z.array(MessageSchema).default([]),
  /** dropped: refused or over-long; kept for the record, never sent to the model again. */
  status: z.enum(["pending", "done", "failed", "dropped"]),
});
export type Turn = z.infer<typeof TurnSchema>;

export const ConversationSchema = z.object({
  chatId: z.number().int(),
  /** The topic this conversation is (absent for the chat itself). */
  threadId: z.number().int().optional(),
  /**
   * Stored as a map keyed by update id, so a commit writes only the turns it
   * changes (`turns.<id>`), not the whole history; read back in update order.
   */
  turns: z
    .record(z.string().regex(/^\d+$/), TurnSchema)
    .default({})
    .transform((byId) => Object.values(byId).sort((a, b) => a.updateId - b.updateId)),
  version: z.number().int().min(0).default(0),
  updatedAt: ts,
  /** Recent accepted-message times (epoch ms) per user id, for the per-user rate limit. */
  rate: z.record(z.string(), z.array(z.number())).default({}),
  /**
   * The newest update id ever trimmed. A turn at or below it (a message delivered late,
   * after newer ones were trimmed) is answered but not stored, so the stored history
   * is always the newest turns.
   */
  trimmedThrough: z.number().int().min(0).default(0),
});
export type Conversation = z.infer<typeof ConversationSchema>;

const SettingValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const SessionChangeSchema = z.object({
  version: z.number().int(),
  at: ts,
  changes: z.record(z.string(), z.object({ from: SettingValue, to: SettingValue })),
});
export type SessionChange = z.infer<typeof SessionChangeSchema>;

export const UsageSchema = z.object({
  messages: z.number().default(0),
  inputTokens: z.number().default(0),
  outputTokens: z.number().default(0),
  cacheReadTokens: z.number().default(0),
  cacheWriteTokens: z.number().default(0),
  webSearchRequests: z.number().default(0),
  costUsd: z.number().default(0),
  /** What prompt caching saved: cached tokens at the full input price minus what they cost (agent/pricing.ts). */
  cacheSavedUsd: z.number().default(0),
});
export type Usage = z.infer<typeof UsageSchema>;

/** Spend per period in integer micro-USD, keyed by the period (`YYYY-MM-DD`, `YYYY-MM`; state/spend.ts). */
export const SpendSchema = z.object({
  day: z.record(z.string(), z.number()).default({}),
  month: z.record(z.string(), z.number()).default({}),
});
export type Spend = z.infer<typeof SpendSchema>;

export const SessionSchema = z.object({
  userId: z.number().int(),
  /** Versioned per-user settings; `activeSkill` is the persona in use. */
  settings: z.record(z.string(), SettingValue).default({}),
  version: z.number().int().min(0).default(0),
  /** Bounded change log (newest last): lets the last changes be rolled back. */
  history: z.array(SessionChangeSchema).default([]),
  usage: UsageSchema.default(UsageSchema.parse({})),
  spendMicroUsd: SpendSchema.default(SpendSchema.parse({})),
  blocked: z.boolean().default(false),
  updatedAt: ts,
});
export type Session = z.infer<typeof SessionSchema>;
export type SettingValue = z.infer<typeof SettingValue>;

export const SkillSchema = z.object({
  name: z.string().min(1),
  description: z.string().default(""),
  systemPrompt: z.string().min(1),
  model: z.string().min(1).nullish(),
  tools: z.array(z.string()).nullish(),
  /** Offer Anthropic's server-side web search (up to WEB_SEARCH_MAX_USES per request; 0 keeps it off). */
  webSearch: z.boolean().nullish(),
});
export type Skill = z.infer<typeof SkillSchema> & { id: string };

/** The states of a claim on an update; the table is in state/claims.ts and the README. */
export const CLAIM_STATES = ["processing", "released", "answered", "undelivered", "done"] as const;

const LEGACY_CLAIM_STATE: Record<string, (typeof CLAIM_STATES)[number]> = {
  processing: "processing",
  answered: "answered",
  done: "done",
};

export const ClaimSchema = z.preprocess(
  // Claims written before the state machine had `status` (processing/answered/done).
  (raw) =>
    raw && typeof raw === "object" && !("state" in raw) && "status" in raw
      ? { ...raw, state: LEGACY_CLAIM_STATE[String((raw as { status: unknown }).status)] }
      : raw,
  z.object({
    updateId: z.number().int(),
    chatId: z.number().int().nullable(),
    /** The topic the update came from: replies go there. */
    threadId: z.number().int().nullish(),
    state: z.enum(CLAIM_STATES),
    /** The instance (one request on it) working on the update; a fresh token per owner. */
    owner: z.string(),
    /** Until then nobody else takes a processing/answered claim over (owner's deadline + margin). */
    leaseUntil: ts,
    /** What the user is to see (Markdown), stored before the first send. */
    reply: z.string().nullish(),
    /** The user's message the reply threads to. */
    replyTo: z.number().int().nullish(),
    /** Parts of the reply Telegram confirmed (a long reply is split at 4096 characters). */
    sent: z.number().int().min(0).default(0),
    expireAt: ts,
  }),
);
export type Claim = z.infer<typeof ClaimSchema>;

export const NotesSchema = z.object({
  userId: z.number().int(),
  notes: z.array(z.object({ id: z.string(), text: z.string(), at: ts })).default([]),
  updatedAt: ts,
});
export type Notes = z.infer<typeof NotesSchema>;
