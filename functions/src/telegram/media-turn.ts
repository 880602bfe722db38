import { t } from "../i18n/catalogue.js";
import { localeOf } from "../i18n/locale.js";
import { albumContent } from "../media/album.js";
import { type Classified, classifyMessage, type MediaCandidate } from "../media/classify.js";
import { isMediaError, MediaError } from "../media/errors.js";
import { type MediaRef, mediaRefBlock } from "../media/reference.js";
import { refusalText } from "../media/texts.js";
import type { StoredAlbum } from "../state/albums.js";
import type { Block } from "../state/schemas.js";
import { DELIVERY_RESERVE_MS } from "../timeouts.js";
import { answerOnce } from "./answer.js";
import type { BotDeps } from "./context.js";
import { RedeliverError } from "./redeliver.js";
import { refuse } from "./refuse.js";
import { type MessageContext, userText, userTurn } from "./turn.js";
import { arrivals } from "./webhook.js";

/**
 * A photo or a document: fetched from Telegram, checked and prepared BEFORE the
 * claim (a failure writes nothing: a refusal is answered once, a transient one
 * asks Telegram to deliver the update again), then stored by reference and run
 * as a turn. Kinds the bot cannot read (voice, video, stickers…) get one line,
 * at most once per minute, and never reach the model.
 */
export function mediaTurn(deps: BotDeps) {
  return async (ctx: MessageContext): Promise<void> => {
    const album = arrivals.get(ctx.update)?.album;
    if (album) return albumTurn(deps, ctx, album);
    const found = classifyMessage(ctx.message, deps.mediaLimits);
    if (found.kind !== "none" && ctx.message.media_group_id && (await collected(deps, ctx, found))) return;
    if (found.kind === "none") {
      await refuse(deps, ctx, "unsupported", t(localeOf(ctx), "text-only"));
      return;
    }
    if (found.kind === "refused") {
      if (found.error.reason === "unsupported_kind") {
        await refuse(deps, ctx, "unsupported", refusalText(localeOf(ctx), found.error));
      } else {
        await answerOnce(deps, ctx, refusalText(localeOf(ctx), found.error));
      }
      return;
    }
    const caption = found.caption ?? "";
    const max = deps.config.MAX_INPUT_CHARS;
    if (caption.length > max) {
      await refuse(deps, ctx, "too_long", t(localeOf(ctx), "too-long", { max, got: caption.length }));
      return;
    }
    const got = await ingest(deps, ctx, found.candidate);
    if (got instanceof MediaError) {
      await answerOnce(deps, ctx, refusalText(localeOf(ctx), got));
      return;
    }
    await userTurn(deps, ctx, userBlocks(ctx, [got], caption));
  };
}

/** Fetches and prepares one file before the claim: its reference, or the refusal to tell. */
async function ingest(
  deps: BotDeps,
  ctx: MessageContext,
  candidate: MediaCandidate,
): Promise<MediaRef | MediaError> {
  try {
    const { ref } = await deps.media.ingest(candidate, ctx.op.deadline.signal(DELIVERY_RESERVE_MS));
    ctx.log.info(
      { file: ref.fileUniqueId, kind: ref.kind, media_type: ref.mediaType, size: ref.size },
      "media received",
    );
    return ref;
  } catch (err) {
    if (!isMediaError(err)) throw err;
    if (err.transient) throw new RedeliverError("telegram unavailable", { cause: err });
    ctx.log.info({ reason: err.reason, file: candidate.fileUniqueId }, "media refused");
    return err;
  }
}

/** The media first, then the words (in a group, tagged with the speaker even when empty). */
function userBlocks(ctx: MessageContext, refs: readonly MediaRef[], words: string): Block[] {
  const user: Block[] = refs.map(mediaRefBlock);
  const text = userText(ctx, words);
  if (text.trim()) user.push({ type: "text", text });
  return user;
}

/**
 * An album item (media_group_id) is recorded on the album and answered 200 at
 * once: Telegram sends a chat's next update only after that, so waiting here for
 * the other items would wait forever. The first item arms the check that closes
 * the album once no item came for a moment (media/ALBUMS.md); a redelivered item
 * arms it again (a no-op when it exists). An item that arrives after the album
 * closed is a turn of its own: false.
 */
async function collected(
  deps: BotDeps,
  ctx: MessageContext,
  found: Exclude<Classified, { kind: "none" }>,
): Promise<boolean> {
  const mediaGroupId = ctx.message.media_group_id!;
  const caption = ctx.message.caption;
  const outcome = await deps.state.albums.record(
    {
      updateId: ctx.update.update_id,
      chatId: ctx.chat.id,
      userId: ctx.actor.id,
      mediaGroupId,
      messageId: ctx.message.message_id,
      ...(found.kind === "media"
        ? { candidate: found.candidate }
        : { refused: { reason: found.error.reason, what: String(found.error.details.what ?? "file") } }),
      ...(caption ? { caption } : {}),
      message: ctx.message as unknown as StoredAlbum["first"]["message"],
    },
    ctx.op,
  );
  if (outcome === "late") return false;
  if (outcome === "opened" || outcome === "duplicate") {
    const at = deps.clock.now() + deps.mediaLimits.albumWindow.quietMs;
    await deps.scheduleAlbumCheck({ chatId: ctx.chat.id, mediaGroupId, seq: 0 }, at);
  }
  ctx.log.info({ media_group_id: mediaGroupId, outcome }, "album item recorded");
  return true;
}

/** An album's turn: every item (refused ones as a line) and the captions, as one message. */
async function albumTurn(deps: BotDeps, ctx: MessageContext, album: StoredAlbum): Promise<void> {
  const { items, caption } = albumContent(album);
  const refs: MediaRef[] = [];
  const skipped: string[] = [];
  const got = await Promise.all(items.map((i) => (i.candidate ? ingest(deps, ctx, i.candidate) : null)));
  const locale = localeOf(ctx);
  for (const [n, item] of items.entries()) {
    const result = got[n];
    if (result && !(result instanceof MediaError)) {
      refs.push(result);
      continue;
    }
    // Refused on sight (e.g. a video in the album), or when fetched and prepared.
    const refusal =
      result ??
      new MediaError(item.refused!.reason as MediaError["reason"], "album item refused", {
        what: item.refused!.what,
      });
    skipped.push(t(locale, "album-item", { n: n + 1, reason: refusalText(locale, refusal) }));
  }
  if (refs.length === 0) {
    await answerOnce(deps, ctx, skipped.join("\n"));
    return;
  }
  await userTurn(deps, ctx, userBlocks(ctx, refs, [caption, ...skipped].filter(Boolean).join("\n\n")));
}
