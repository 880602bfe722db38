import type { z } from "zod";
import type { Logger } from "../../observability/logger.js";
import type { UserNotes } from "../../state/notes.js";

/** What a tool may use: the ids of the turn and the stores it is allowed to touch. */
export interface ToolContext {
  userId: number;
  chatId: number;
  notes: UserNotes;
  now: () => Date;
  log: Logger;
}

/**
 * A tool is one small file: a name, a description for the model, a zod input
 * schema (sent as JSON Schema and used to validate the model's input), and `run`.
 * A tool that throws becomes a tool_result with is_error: true.
 */
export interface AgentTool<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  input: S;
  /** Reads or writes the speaker's private data: offered only in private chats. */
  perUser?: boolean;
  run(input: z.output<S>, ctx: ToolContext): Promise<string>;
}

export function defineTool<S extends z.ZodType>(tool: AgentTool<S>): AgentTool<S> {
  return tool;
}

/** An error whose message is safe and useful to show the model (bad input, unknown zone). */
export class ToolInputError extends Error {
  override readonly name = "ToolInputError";
}
