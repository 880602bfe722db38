import { Timestamp } from "@google-cloud/firestore";
import { z } from "zod";

// The shape of every stored document. Each read is validated against these; a
// document that fails is logged and reset (see documents.ts), never thrown at a user.

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
  status: z.enum(["pending", "done", "failed"]),
});
export type Turn = z.infer<typeof TurnSchema>;

export const ConversationSchema = z.object({
  chatId: z.number().int(),
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
  costUsd: z.number().default(0),
});
export type Usage = z.infer<typeof UsageSchema>;

export const SessionSchema = z.object({
  userId: z.number().int(),
  /** Versioned per-user settings; `activeSkill` is the persona in use. */
  settings: z.record(z.string(), SettingValue).default({}),
  version: z.number().int().min(0).default(0),
  /** Bounded change log (newest last): lets the last changes be rolled back. */
  history: z.array(SessionChangeSchema).default([]),
  usage: UsageSchema.default(UsageSchema.parse({})),
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
});
export type Skill = z.infer<typeof SkillSchema> & { id: string };

export const ClaimSchema = z.object({
  updateId: z.number().int(),
  chatId: z.number().int().nullable(),
  owner: z.string(),
  /**
   * processing: the turn is running (under lease); answered: the reply is stored
   * and may not have reached Telegram yet; done: nothing left to do.
   */
  status: z.enum(["processing", "answered", "done"]),
  leaseUntil: ts,
  expireAt: ts,
});
export type Claim = z.infer<typeof ClaimSchema>;

export const NotesSchema = z.object({
  userId: z.number().int(),
  notes: z.array(z.object({ id: z.string(), text: z.string(), at: ts })).default([]),
  updatedAt: ts,
});
export type Notes = z.infer<typeof NotesSchema>;
