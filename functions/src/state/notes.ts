import { randomUUID } from "node:crypto";
import { Timestamp } from "@google-cloud/firestore";
import { StoreError } from "./errors.js";
import type { DocIO } from "./firestore.js";
import { type Notes, NotesSchema } from "./schemas.js";

export const MAX_NOTES = 50;
export const MAX_NOTE_CHARS = 500;

/** The per-user notes memory used by the notes tool (`notes/{userId}`). */
export class NotesStore {
  constructor(
    private readonly io: DocIO,
    private readonly maxAttempts = 5,
  ) {}

  async list(userId: number): Promise<Notes["notes"]> {
    const { doc } = await this.io.get(this.io.ref("notes", userId), NotesSchema);
    return (doc.value?.notes as Notes["notes"] | undefined) ?? [];
  }

  /** Adds a note, keeping the newest MAX_NOTES, under the usual optimistic precondition. */
  async add(userId: number, text: string): Promise<{ id: string; count: number }> {
    const ref = this.io.ref("notes", userId);
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const { doc } = await this.io.get(ref, NotesSchema);
      const note = { id: randomUUID().slice(0, 8), text: text.slice(0, MAX_NOTE_CHARS), at: Timestamp.now() };
      const notes = [...((doc.value?.notes as Notes["notes"] | undefined) ?? []), note].slice(-MAX_NOTES);
      const data = { userId, notes, updatedAt: Timestamp.now() };
      try {
        await this.io.commit((batch) => {
          if (doc.exists && doc.updateTime) batch.update(ref, data, { lastUpdateTime: doc.updateTime });
          else batch.create(ref, data);
        });
        return { id: note.id, count: notes.length };
      } catch (err) {
        if (!(err instanceof StoreError && err.kind === "precondition")) throw err;
      }
    }
    throw new StoreError("conflict", `notes ${userId}: too much contention`, { transient: true });
  }

  async remove(userId: number, id: string): Promise<boolean> {
    const ref = this.io.ref("notes", userId);
    const { doc } = await this.io.get(ref, NotesSchema);
    const notes = (doc.value?.notes as Notes["notes"] | undefined) ?? [];
    const kept = notes.filter((n) => n.id !== id);
    if (kept.length === notes.length || !doc.updateTime) return false;
    await this.io.commit((batch) =>
      batch.update(ref, { notes: kept, updatedAt: Timestamp.now() }, { lastUpdateTime: doc.updateTime! }),
    );
    return true;
  }
}
