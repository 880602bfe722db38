import { calculator } from "./calculator.js";
import { currentTime } from "./current-time.js";
import { notes } from "./notes.js";
import type { AgentTool } from "./tool.js";

/** Every tool the bot has. Adding one: write a file like calculator.ts and list it here. */
export const ALL_TOOLS: readonly AgentTool[] = [currentTime, calculator, notes] as AgentTool[];

/** The tools a skill may use (all when the skill does not restrict them). */
export function toolsFor(allowed: readonly string[] | null | undefined): AgentTool[] {
  return ALL_TOOLS.filter((t) => !allowed || allowed.includes(t.name));
}
