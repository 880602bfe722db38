import { z } from "zod";
import { defineTool } from "./tool.js";

export const notes = defineTool({
  name: "notes",
  perUser: true,
  description:
    "The user's personal notes, kept across conversations. action=save stores `text`; " +
    "action=list returns all notes with their ids; action=delete removes the note with `id`.",
  input: z.object({
    action: z.enum(["save", "list", "delete"]),
    text: z.string().max(500).optional(),
    id: z.string().max(16).optional(),
  }),
  async run({ action, text, id }, ctx) {
    if (action === "save") {
      if (!text) return "Nothing saved: `text` is required for save.";
      const saved = await ctx.notes.add(ctx.userId, text);
      return `Saved note ${saved.id} (${saved.count} notes).`;
    }
    if (action === "delete") {
      if (!id) return "Nothing deleted: `id` is required for delete.";
      return (await ctx.notes.remove(ctx.userId, id)) ? `Deleted note ${id}.` : `No note with id ${id}.`;
    }
    const all = await ctx.notes.list(ctx.userId);
    if (all.length === 0) return "The user has no notes.";
    return all.map((n) => `${n.id} (${n.at.toDate().toISOString().slice(0, 10)}): ${n.text}`).join("\n");
  },
});
