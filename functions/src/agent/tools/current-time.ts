import { z } from "zod";
import { defineTool, ToolInputError } from "./tool.js";

export const currentTime = defineTool({
  name: "current_time",
  description: "The current date and time in an IANA time zone (e.g. Europe/Paris). Defaults to UTC.",
  input: z.object({ timezone: z.string().max(64).default("UTC").describe("IANA time zone name") }),
  async run({ timezone }, ctx) {
    let formatted: string;
    try {
      formatted = new Intl.DateTimeFormat("en-GB", {
        timeZone: timezone,
        dateStyle: "full",
        timeStyle: "long",
      }).format(ctx.now());
    } catch {
      // Intl throws RangeError for an unknown zone: tell the model what to fix.
      throw new ToolInputError(`unknown time zone "${timezone}"; use an IANA name like America/New_York`);
    }
    return `${formatted} (${timezone}); ISO UTC ${ctx.now().toISOString()}`;
  },
});
