import type { Context } from "grammy";
import type { CreateMessage } from "../agent/loop.js";
import type { Config } from "../config.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { StateManager } from "../state/state-manager.js";

/** Everything a handler may use, passed in explicitly (no globals). */
export interface BotDeps {
  config: Config;
  state: StateManager;
  metrics: Metrics;
  log: Logger;
  createMessage: CreateMessage;
  now: () => Date;
}

/** grammY context with the per-update child logger (update_id, chat_id, user_id). */
export type BotContext = Context & { log: Logger };
