import type { Logger } from "../observability/logger.js";
import type { Tally } from "../observability/turn-stats.js";
import type { Deadline } from "../timeouts.js";

/**
 * What every state call of one request carries: its logger (with the update's
 * ids), its deadline (each Firestore call gets at most what is left) and its
 * Firestore tally (reads/writes/commits for the turn log line).
 */
export interface Op {
  log: Logger;
  deadline: Deadline;
  tally?: Tally | undefined;
}
