/**
 * Firestore operations of one turn, passed explicitly to the state calls the turn
 * makes (an AsyncLocalStorage would do it implicitly, but on Node 22 it hooks
 * every promise in the process: measured at ~17% of a turn's CPU).
 */
export interface Tally {
  reads: number;
  writes: number;
  commits: number;
}

export function newTally(): Tally {
  return { reads: 0, writes: 0, commits: 0 };
}
