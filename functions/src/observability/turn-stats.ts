import { AsyncLocalStorage } from "node:async_hooks";

/** Firestore operations attributed to the turn running in the current async context. */
export interface TurnStats {
  reads: number;
  writes: number;
  commits: number;
  /** Reads before the model request was sent (the budget says 0 when warm). */
  readsBeforeModel: number | null;
}

export const turnStats = new AsyncLocalStorage<TurnStats>();

export function newTurnStats(): TurnStats {
  return { reads: 0, writes: 0, commits: 0, readsBeforeModel: null };
}

export function countFirestore(kind: "reads" | "writes" | "commits", n = 1): void {
  const s = turnStats.getStore();
  if (s) s[kind] += n;
}
