import { randomUUID } from "node:crypto";
import { Timestamp } from "@google-cloud/firestore";
import type { Metrics } from "../observability/metrics.js";
import type { DocIO } from "./firestore.js";
import type { Op } from "./op.js";
import { retrying } from "./retry.js";
import { type Notes, NotesSchema } from "./schemas.js";

export const MAX_NOTES = 50;
export const MAX_NOTE_CHARS = 500;

type Note = Notes["notes"][number];

/** The notes tool's view of the store, bound to one request (its deadline and logger). */
export interface UserNotes {
  list(userId: number): Promise<Note[]>;
  add(userId: number, text: string): Promise<{ id: string; count: number }>;
  remove(userId: number, id: string): Promise<boolean>;
}

/** The per-user notes memory used by the notes tool (`notes/{userId}`). */
export class NotesStore {
  constructor(
    private readonly io: DocIO,
    private readonly metrics: Metrics,
    private readonly now: () => number,
  ) {}

  /** The store bound to one request. */
  for(op: Op): UserNotes {
    return {
      list: (userId) => this.list(userId, op),
      add: (userId, text) => this.add(userId, text, op),
      remove: (userId, id) => this.remove(userId, id, op),
    };
  }

  private read(userId: number, op: Op) {
    return this.io.get(this.io.ref("notes", userId), NotesSchema, op);
  }

  async list(userId: number, op: Op): Promise<Note[]> {
    const { doc } = await this.read(userId, op);
    return (doc.value?.notes as Note[] | undefined) ?? [];
  }

  /** Adds a note, keeping the newest MAX_NOTES, under the usual optimistic precondition. */
  add(userId: number, text: string, op: Op): Promise<{ id: string; count: number }> {
    const ref = this.io.ref("notes", userId);
    return retrying("save note", op, this.metrics, async () => {
      const { doc } = await this.read(userId, op);
      const at = Timestamp.fromMillis(this.now());
      const note = { id: randomUUID().slice(0, 8), text: text.slice(0, MAX_NOTE_CHARS), at };
      const notes = [...((doc.value?.notes as Note[] | undefined) ?? []), note].slice(-MAX_NOTES);
      const data = { userId, notes, updatedAt: at };
      await this.io.commit(op, (writes) => {
        if (doc.exists && doc.updateTime) writes.update(ref, data, { lastUpdateTime: doc.updateTime });
        else writes.create(ref, data);
      });
      return { id: note.id, count: notes.length };
    });
  }

  remove(userId: number, id: string, op: Op): Promise<boolean> {
    const ref = this.io.ref("notes", userId);
    return retrying("delete note", op, this.metrics, async () => {
      const { doc } = await this.read(userId, op);
      const notes = (doc.value?.notes as Note[] | undefined) ?? [];
      const kept = notes.filter((n) => n.id !== id);
      if (kept.length === notes.length || !doc.updateTime) return false;
      await this.io.commit(op, (writes) =>
        writes.update(
          ref,
          { notes: kept, updatedAt: Timestamp.fromMillis(this.now()) },
          { lastUpdateTime: doc.updateTime! },
        ),
      );
      return true;
    });
  }
}
