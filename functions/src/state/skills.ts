import type { L1Cache, Versioned } from "./cache.js";
import type { DocIO } from "./firestore.js";
import { jsonBytes } from "./history.js";
import type { Op } from "./op.js";
import { type Skill, SkillSchema } from "./schemas.js";

/** Used when Firestore has no skills yet, so a fresh deployment still answers. */
export const DEFAULT_SKILL: Skill = {
  id: "assistant",
  name: "Assistant",
  description: "A helpful general assistant",
  systemPrompt:
    "You are a helpful assistant in a Telegram chat. Answer concisely and accurately. " +
    "Use the tools when they help (time, arithmetic, the user's notes). " +
    "Format with simple Markdown: bold, italic, inline code, code blocks and links.",
};

const KEY = "skills/*";

/** Personas from `skills/{id}`: read as one small collection, kept whole in L1. */
export class SkillStore {
  constructor(
    private readonly io: DocIO,
    private readonly cache: L1Cache,
  ) {}

  private async readAll(op: Op): Promise<{ doc: Versioned<Skill[]>; bytes: number }> {
    const collection = this.io.deps.db().collection(this.io.deps.names.skills);
    const snap = await this.io.query("list skills", collection, op);
    const skills: Skill[] = [];
    for (const d of snap.docs) {
      const parsed = this.io.parse(d, SkillSchema, op.log).doc.value;
      if (parsed) skills.push({ ...(parsed as Skill), id: d.id });
    }
    if (skills.length === 0) skills.push(DEFAULT_SKILL);
    skills.sort((a, b) => a.id.localeCompare(b.id));
    return { doc: { value: skills, updateTime: null, exists: true }, bytes: jsonBytes(skills) };
  }

  async list(op: Op): Promise<readonly Readonly<Skill>[]> {
    const doc = await this.cache.load(KEY, () => this.readAll(op));
    return doc.value ?? [DEFAULT_SKILL];
  }

  /** The skill with this id, or the first (default) skill. */
  async resolve(id: string | null | undefined, op: Op): Promise<Readonly<Skill>> {
    const skills = await this.list(op);
    return skills.find((s) => s.id === id) ?? skills.find((s) => s.id === DEFAULT_SKILL.id) ?? skills[0]!;
  }

  async warm(op: Op): Promise<number> {
    this.cache.delete(KEY);
    return (await this.list(op)).length;
  }
}
