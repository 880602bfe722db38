import type { Context } from "grammy";
import type { CreateMessage, StreamMessage } from "../agent/loop.js";
import type { Config } from "../config.js";
import type { Gate } from "../media/gate.js";
import type { MediaLimits } from "../media/limits.js";
import type { MediaStore } from "../media/media-store.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { Op } from "../state/op.js";
import type { StateManager } from "../state/state-manager.js";
import type { Clock } from "../timeouts.js";
import type { Actor } from "./actor.js";
import type { Admins } from "./admins.js";
import type { AlbumScheduler } from "./album-tasks.js";
import type { DraftPacer } from "./draft-pacer.js";
import type { Generations } from "./generations.js";
import type { Refusals } from "./refusals.js";

/** Everything a handler may use, passed in explicitly (no globals). */
export interface BotDeps {
  config: Config;
  state: StateManager;
  metrics: Metrics;
  log: Logger;
  createMessage: CreateMessage;
  /** Streamed requests for private chats (drafts); absent when a test replaced the model. */
  streamMessage?: StreamMessage | undefined;
  clock: Clock;
  /** The turns this instance is generating (for /stop). */
  generations: Generations;
  /** Draft frames per chat on this instance (private-chat streaming). */
  draftPacer?: DraftPacer | undefined;
  refusals: Refusals;
  admins: Admins;
  /** Photos and documents: fetched from Telegram, prepared, cached by file_unique_id. */
  media: MediaStore;
  mediaLimits: MediaLimits;
  /** Media characters the model requests in flight may carry (MEDIA_INFLIGHT_MAX_MB), per instance. */
  mediaInFlight: Gate;
  /** Arms the check that closes an album (Cloud Tasks in production). */
  scheduleAlbumCheck: AlbumScheduler;
}

/**
 * grammY context plus what the first middleware adds: the per-update child logger
 * (update_id, chat_id, user_id), the request's Op (deadline, Firestore tally) and
 * who is speaking.
 */
export type BotContext = Context & { log: Logger; op: Op; actor: Actor };
