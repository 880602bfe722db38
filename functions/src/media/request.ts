import { base64Length, type MediaLimits } from "./limits.js";
import { type MediaContentBlock, mediaContentBlock, type PreparedMedia, requestChars } from "./prepare.js";
import {
  asMediaRef,
  MEDIA_REF_BLOCK,
  type MediaRef,
  type PlaceholderReason,
  placeholderText,
} from "./reference.js";

// Re-attaching media to the messages sent to the model. History holds MediaRef blocks; here
// the most recent media turns get their image/document/text blocks back and older ones a one
// line placeholder, within the request's limits (32 MB, 100 PDF pages, 100 images).

/** A content block, kept loose like the stored one (state/schemas.ts BlockSchema). */
export type ModelBlock = { type: string; [key: string]: unknown };

/** A message as history.ts produces it: structurally the stored message type, both ways. */
export interface ModelMessage {
  role: "user" | "assistant";
  content: string | ModelBlock[];
}

export type MediaResolver = (ref: MediaRef, signal?: AbortSignal) => Promise<PreparedMedia>;

export interface AttachOptions {
  /**
   * MEDIA_TURNS_KEPT: user messages with media, counted from the newest, that keep their media.
   * The last user message (the turn being answered) keeps its media regardless.
   */
  turnsKept: number;
  limits: Pick<MediaLimits, "requestMediaMaxChars" | "pdfMaxPages" | "requestMaxImages">;
  signal?: AbortSignal;
}

export interface AttachResult {
  messages: ModelMessage[];
  /** References given to the model in full, newest first. */
  attached: MediaRef[];
  placeholders: Array<{ ref: MediaRef; why: PlaceholderReason }>;
  /** Older media that could not be loaded (replaced by a placeholder); log them. */
  failures: Array<{ ref: MediaRef; error: unknown }>;
  /** Stored media blocks that failed the reference schema (replaced by a placeholder); log them. */
  invalid: number;
}

interface Slot {
  message: number;
  block: number;
  ref: MediaRef;
  /** 0 for the newest user message with media. */
  turn: number;
}

type OutBlock = ModelBlock | MediaContentBlock;

/** Where the media references of `messages` are, and which of them go to the model in full. */
function findSlots(messages: readonly ModelMessage[], turnsKept: number) {
  const slots: Slot[] = [];
  // A media block the schema rejects must not reach the API as an unknown block type.
  const broken = new Map<number, Set<number>>();
  let turn = 0;
  for (let m = messages.length - 1; m >= 0; m--) {
    const msg = messages[m]!;
    if (msg.role !== "user" || typeof msg.content === "string") continue;
    const found: Slot[] = [];
    msg.content.forEach((block, b) => {
      const ref = asMediaRef(block);
      if (ref) found.push({ message: m, block: b, ref, turn });
      else if (block.type === MEDIA_REF_BLOCK) broken.set(m, (broken.get(m) ?? new Set()).add(b));
    });
    if (found.length > 0) {
      slots.push(...found);
      turn++;
    }
  }
  const lastUser = messages.findLastIndex((msg) => msg.role === "user");
  // The turn being answered always gets its media, even with turnsKept 0.
  const isKept = (s: Slot) => s.turn < turnsKept || s.message === lastUser;
  return { slots, broken, lastUser, isKept, kept: slots.filter(isKept) };
}

/**
 * An upper bound, known before anything is loaded, of the media characters `attachMedia` will
 * put in the request: what a turn weighs in the in-flight media budget (app.ts). Images are
 * downscaled when prepared, so their bound is the API's per-image limit; PDFs and text files
 * are sent as they are.
 */
export function mediaWeight(
  messages: readonly ModelMessage[],
  options: Pick<AttachOptions, "turnsKept"> & {
    limits: Pick<MediaLimits, "requestMediaMaxChars" | "imageMaxBase64Chars">;
  },
): number {
  const { kept } = findSlots(messages, options.turnsKept);
  const chars = kept.reduce((sum, { ref }) => {
    const encoded = ref.kind === "text" ? ref.size : base64Length(ref.size);
    const isImage = ref.kind === "photo" || ref.kind === "image";
    return sum + (isImage ? Math.min(encoded, options.limits.imageMaxBase64Chars) : encoded);
  }, 0);
  return Math.min(chars, options.limits.requestMediaMaxChars);
}

/**
 * Returns `messages` with every media reference replaced: the media of the `turnsKept` most
 * recent media turns as content blocks (newest first within the budgets), everything else as
 * placeholders. A failure to load media of the last user message (the turn being answered) is
 * thrown; the model should not answer a question about an image it was not given.
 * The input is not modified.
 */
export async function attachMedia(
  messages: readonly ModelMessage[],
  resolve: MediaResolver,
  options: AttachOptions,
): Promise<AttachResult> {
  const { slots, broken, lastUser, isKept, kept } = findSlots(messages, options.turnsKept);
  const loaded = await Promise.allSettled(kept.map((s) => resolve(s.ref, options.signal)));

  const replacement = new Map<Slot, OutBlock>();
  const result: AttachResult = { messages: [], attached: [], placeholders: [], failures: [], invalid: 0 };
  const placeholder = (slot: Slot, why: PlaceholderReason) => {
    replacement.set(slot, { type: "text", text: placeholderText(slot.ref, why) });
    result.placeholders.push({ ref: slot.ref, why });
  };

  let chars = 0;
  let pages = 0;
  let images = 0;
  for (const [i, slot] of kept.entries()) {
    const outcome = loaded[i]!;
    if (outcome.status === "rejected") {
      if (slot.message === lastUser) throw outcome.reason;
      result.failures.push({ ref: slot.ref, error: outcome.reason });
      placeholder(slot, "unavailable");
      continue;
    }
    const p = outcome.value;
    const size = requestChars(p);
    const overBudget =
      chars + size > options.limits.requestMediaMaxChars ||
      (p.kind === "pdf" && pages + p.pages > options.limits.pdfMaxPages) ||
      (p.kind === "image" && images + 1 > options.limits.requestMaxImages);
    if (overBudget) {
      placeholder(slot, slot.message === lastUser ? "over_request" : "budget");
      continue;
    }
    chars += size;
    if (p.kind === "pdf") pages += p.pages;
    if (p.kind === "image") images++;
    replacement.set(slot, mediaContentBlock(p, slot.ref));
    result.attached.push(slot.ref);
  }
  for (const slot of slots) if (!isKept(slot)) placeholder(slot, "earlier");

  const byMessage = new Map<number, Map<number, OutBlock>>();
  for (const [m, blocks] of broken) {
    byMessage.set(
      m,
      new Map([...blocks].map((b) => [b, { type: "text", text: "[attachment, could not be loaded again]" }])),
    );
    result.invalid += blocks.size;
  }
  for (const [slot, block] of replacement) {
    const blocks = byMessage.get(slot.message) ?? new Map<number, OutBlock>();
    blocks.set(slot.block, block);
    byMessage.set(slot.message, blocks);
  }
  result.messages = messages.map((msg, m) => {
    const blocks = byMessage.get(m);
    if (!blocks || typeof msg.content === "string") return msg;
    return { role: msg.role, content: msg.content.map((block, b) => blocks.get(b) ?? block) };
  });
  return result;
}
