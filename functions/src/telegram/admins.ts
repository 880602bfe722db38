import { type Api, GrammyError } from "grammy";
import { LRUCache } from "lru-cache";
import type { Op } from "../state/op.js";
import type { Actor } from "./actor.js";
import { RedeliverError } from "./redeliver.js";
import { apiSignal } from "./reply.js";

/** Admin lists change rarely; a demoted admin keeps their rights here for at most this long. */
const ADMIN_TTL_MS = 10 * 60_000;

/**
 * Who may run destructive commands (/reset, /undo) in a group: its
 * administrators, from getChatAdministrators, cached per chat (one Bot API call
 * per chat per 10 minutes, shared by concurrent callers). An anonymous admin
 * (sender_chat is the group itself) is an admin by definition.
 */
export class Admins {
  private readonly lists = new LRUCache<number, Promise<ReadonlySet<number>>>({
    max: 5_000,
    ttl: ADMIN_TTL_MS,
  });

  async isAdmin(api: Api, chat: { id: number; type: string }, actor: Actor, op: Op): Promise<boolean> {
    if (chat.type === "private" || actor.anonymousAdmin) return true;
    let list = this.lists.get(chat.id);
    if (!list) {
      list = api
        .getChatAdministrators(chat.id, undefined, apiSignal(op.deadline.signal()))
        .then((members) => new Set(members.map((m) => m.user.id)));
      this.lists.set(chat.id, list);
      list.catch(() => this.lists.delete(chat.id));
    }
    try {
      return (await list).has(actor.id);
    } catch (err) {
      // 4xx: Telegram will not tell us (e.g. the bot left): nobody is an admin to us.
      if (err instanceof GrammyError && err.error_code < 500 && err.error_code !== 429) {
        op.log.warn({ error_code: err.error_code, method: err.method }, "cannot read the chat's admins");
        return false;
      }
      throw new RedeliverError("telegram unavailable", { cause: err });
    }
  }
}
