import { type Api, GrammyError } from "grammy";
import type { AgentObserver } from "../agent/loop.js";
import { t } from "../i18n/catalogue.js";
import type { Logger } from "../observability/logger.js";
import type { Clock } from "../timeouts.js";
import { type DraftFormat, type DraftFrame, renderFrame } from "./draft-frame.js";
import type { DraftPacer } from "./draft-pacer.js";
import { apiSignal } from "./reply.js";

/**
 * Shows a private-chat turn's answer while the model writes it: a Telegram draft
 * (sendMessageDraft, or sendRichMessageDraft for rich answers) that grows with the text,
 * says "Using <tool>…" while a tool runs, and is replaced by the real message when the
 * turn is delivered. It is the agent loop's observer (agent/loop.ts AgentObserver).
 *
 * - One draft_id per turn (draftIdFor), so every frame animates the same draft.
 * - Frames are coalesced: at most one on the wire per chat, and no sooner than the
 *   per-chat pacer allows (draft-pacer.ts); whatever arrived meanwhile goes in the
 *   next frame. A frame identical to the last one shown is not sent.
 * - A 429 skips frames until its retry_after has passed (the pacer); nothing waits.
 * - It never throws into the turn and never fails it: a rejected rich frame (400) falls
 *   back to HTML frames; a chat that refuses drafts (400/403/404: not a private chat,
 *   blocked, a Bot API server without drafts) or three failures in a row end the
 *   drafts for this turn, and the answer still arrives as a message.
 * - finish() stops it before the final delivery: no frame leaves afterwards, and a
 *   frame still on the wire is waited for (at most `settleMs`, then aborted), so a late
 *   frame cannot reappear under the delivered answer.
 *
 * What the draft shows mirrors what will be delivered (state/history.ts replyText): the
 * text of the last model request, text runs separated by tool calls joined with a blank
 * line. After a tool round the next request's text replaces what was shown.
 *
 * Why not @grammyjs/stream (1.1.0): its replyWithStream / replyWithMarkdownStream send
 * the final message themselves when the iterable ends, and our final message must be
 * the one fenced delivery of the stored reply (state/claims.ts, telegram/deliver.ts);
 * its frame loop sends as fast as the API answers, relying on auto-retry to slow down,
 * which waits out a 429 instead of skipping frames; a failed draft rejects the whole
 * stream; and it has no tool status and no tail view (it rolls over into a new draft
 * and a new message at 4096 characters). What we need of it (a growing draft with one
 * draft_id) is a single Bot API call, so this is a small class rather than a plugin.
 */
export interface DraftStreamOptions {
  /** An Api whose calls are not retried on 429 (see telegram/bot.ts): frames are skipped instead. */
  api: Api;
  clock: Clock;
  log: Logger;
  pacer: DraftPacer;
  chatId: number;
  draftId: number;
  /** A private chat's topic (Bot API 9.3+), when the turn is in one. */
  threadId?: number | undefined;
  /** "html" (default) or "rich"; a rejected rich frame switches the rest of the turn to HTML. */
  format?: DraftFormat;
  /** The turn's deadline: no frame outlives it. */
  signal?: AbortSignal | undefined;
  /**
   * Show Telegram's own stop button on the draft (`can_stop`, Bot API: sendMessageDraft,
   * sendRichMessageDraft). Pressing it sends the bot an Update with
   * `stopped_message_generation` (MessageGenerationStopped: chat, message_thread_id,
   * draft_id), so the turn to stop is found by chat and draft_id. Only set this once that
   * update is handled: it must be in the webhook's allowed_updates (set-webhook asks for
   * "message" only) and accepted by telegram/update-schema.ts. `keep_on_stop` (not used)
   * would keep the draft on screen after the press; it still vanishes after a short time
   * or when the bot sends a message.
   */
  canStop?: boolean;
  /** Called once, when Telegram accepted the first frame (e.g. to stop the typing indicator). */
  onFirstFrame?: () => void;
  /** The status line while a tool runs, as Markdown in the user's language (default: English). */
  status?: (tool: string) => string;
  /** How long finish() waits for a frame already on the wire before aborting it. */
  settleMs?: number;
}

/** What a turn's drafts did, for its log line and the benchmark. */
export interface DraftStats {
  /** Frames Telegram accepted. */
  frames: number;
  /** Frames dropped because Telegram answered 429. */
  rateLimited: number;
  /** Frames that failed otherwise (5xx, network, timeout). */
  failed: number;
  /** Clock time of the first accepted frame (null: none was shown). */
  firstFrameAt: number | null;
  /** Why drafts stopped early, or null. */
  stopped: "refused" | "failing" | "deadline" | null;
  /** The format frames ended in. */
  format: DraftFormat;
}

/** A non-zero draft_id for a turn: its update id (positive, unique per turn and chat). */
export function draftIdFor(updateId: number): number {
  return Math.abs(updateId) || 1;
}

const DEFAULT_SETTLE_MS = 2_000;
const MAX_FAILURES_IN_A_ROW = 3;

export class DraftStream implements AgentObserver {
  private answer = "";

  /** The answer shown so far (the current request's text): a stopped turn keeps it. */
  get shown(): string {
    return this.answer;
  }
  private tool: string | null = null;
  /** The last request asked for tools: the next request's text is a new message. */
  private replaceOnText = false;
  /** A tool call ended a text run: the next text starts a new paragraph. */
  private runBreak = false;
  private format: DraftFormat;
  private dirty = false;
  private finished = false;
  private disabled = false;
  private failuresInARow = 0;
  private lastShown = "";
  private inFlight: Promise<void> | null = null;
  private cancelTimer: (() => void) | null = null;
  private readonly aborter = new AbortController();
  private readonly stats: DraftStats;

  constructor(private readonly o: DraftStreamOptions) {
    this.format = o.format ?? "html";
    this.stats = {
      frames: 0,
      rateLimited: 0,
      failed: 0,
      firstFrameAt: null,
      stopped: null,
      format: this.format,
    };
  }

  text(delta: string): void {
    if (this.replaceOnText) {
      this.answer = "";
      this.replaceOnText = false;
    } else if (this.runBreak && this.answer.trim() !== "") {
      this.answer += "\n\n";
    }
    this.runBreak = false;
    this.answer += delta;
    this.tool = null;
    this.changed();
  }

  toolStarted(name: string): void {
    this.tool = name;
    this.runBreak = true;
    this.changed();
  }

  requestDone(info: { stopReason: string | null }): void {
    if (info.stopReason === "tool_use") this.replaceOnText = true;
  }

  /** Stops the drafts (before the final message is sent); never rejects. */
  async finish(): Promise<DraftStats> {
    this.finished = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    const pending = this.inFlight;
    if (pending) {
      let cancel = () => {};
      const settled = await Promise.race([
        pending.then(() => true),
        new Promise<false>((resolve) => {
          cancel = this.o.clock.schedule(this.o.settleMs ?? DEFAULT_SETTLE_MS, () => resolve(false));
        }),
      ]);
      cancel();
      if (!settled) {
        this.aborter.abort();
        await pending;
      }
    }
    return { ...this.stats, format: this.format };
  }

  private changed(): void {
    if (this.finished || this.disabled) return;
    this.dirty = true;
    this.kick();
  }

  /** Sends the newest state now if the chat's budget allows, else when it will. */
  private kick(): void {
    if (this.finished || this.disabled || !this.dirty || this.inFlight || this.cancelTimer) return;
    const wait = this.o.pacer.delay(this.o.chatId);
    if (wait > 0) {
      this.cancelTimer = this.o.clock.schedule(wait, () => {
        this.cancelTimer = null;
        this.kick();
      });
      return;
    }
    this.dirty = false;
    let frame: DraftFrame | null;
    try {
      const status =
        this.tool === null
          ? null
          : (this.o.status ?? ((tool: string) => t("en", "using-tool", { tool })))(this.tool);
      frame = renderFrame(this.answer, status, this.format);
    } catch (err) {
      this.disable("failing", { err }); // a rendering bug must not reach the turn
      return;
    }
    if (!frame) return;
    const key = JSON.stringify(frame);
    if (key === this.lastShown) return;
    this.o.pacer.sent(this.o.chatId);
    this.inFlight = this.send(frame, key).finally(() => {
      this.inFlight = null;
      this.kick();
    });
  }

  private async send(frame: DraftFrame, key: string): Promise<void> {
    const { api, chatId, draftId } = this.o;
    const other = {
      ...(this.o.threadId !== undefined ? { message_thread_id: this.o.threadId } : {}),
      ...(this.o.canStop ? { can_stop: true } : {}),
    };
    const signal = apiSignal(
      this.o.signal ? AbortSignal.any([this.aborter.signal, this.o.signal]) : this.aborter.signal,
    );
    try {
      if (frame.method === "sendMessageDraft") {
        await api.sendMessageDraft(
          chatId,
          draftId,
          frame.text,
          { ...other, parse_mode: frame.parse_mode },
          signal,
        );
      } else {
        await api.sendRichMessageDraft(chatId, draftId, frame.rich_message, other, signal);
      }
      this.lastShown = key;
      this.failuresInARow = 0;
      this.stats.frames++;
      if (this.stats.firstFrameAt === null) {
        this.stats.firstFrameAt = this.o.clock.now();
        this.o.onFirstFrame?.();
      }
    } catch (err) {
      this.failed(err, frame);
    }
  }

  private failed(err: unknown, frame: DraftFrame): void {
    if (this.aborter.signal.aborted) return; // finish() gave up on this frame
    const fields = { method: frame.method, error_code: (err as GrammyError).error_code ?? null };
    if (this.o.signal?.aborted) {
      this.disable("deadline", fields);
      return;
    }
    if (err instanceof GrammyError && err.error_code === 429) {
      this.stats.rateLimited++;
      this.o.pacer.limited(this.o.chatId, err.parameters.retry_after ?? 1);
      this.dirty = true; // the newest text goes out once the chat may have frames again
      return;
    }
    if (err instanceof GrammyError && err.error_code === 400 && this.format === "rich") {
      // Telegram refused this rich markdown; HTML frames render any text.
      this.o.log.warn(
        { ...fields, description: err.description },
        "rich draft refused; drafts continue as HTML",
      );
      this.format = "html";
      this.dirty = true;
      return;
    }
    if (err instanceof GrammyError && [400, 403, 404].includes(err.error_code)) {
      this.disable("refused", { ...fields, description: err.description });
      return;
    }
    this.stats.failed++;
    if (++this.failuresInARow >= MAX_FAILURES_IN_A_ROW) this.disable("failing", fields);
    else this.dirty = true;
  }

  private disable(why: NonNullable<DraftStats["stopped"]>, fields: Record<string, unknown>): void {
    this.disabled = true;
    this.stats.stopped = why;
    this.cancelTimer?.();
    this.cancelTimer = null;
    // Cosmetic: the answer still arrives as a message.
    this.o.log.info({ ...fields, reason: why }, "drafts stopped for this turn");
  }
}
