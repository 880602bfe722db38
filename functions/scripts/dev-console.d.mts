// Types for the parts of dev-console.mjs the tests import.
import type { Interface } from "node:readline";

/** Whole lines, and on a terminal one live line (the draft) redrawn in place above the prompt. */
export class ConsoleOutput {
  constructor(stream: NodeJS.WritableStream & { columns?: number });
  /** The terminal's width (80 when it does not say). */
  readonly columns: number;
  attach(rl: Interface): void;
  prompt(): void;
  /** `endLive`: the live line is over and this line takes its place. */
  line(text: string, opts?: { endLive?: boolean }): void;
  /** Shows `text` as the live line (null removes it); nothing without a terminal. */
  live(text: string | null): void;
}
export function followLog(file: string, onLine: (line: string) => void): { close(): void };
export function displayText(html: string): string;
/** The plain text a sendMessage / draft payload shows (text, or a rich message's markdown or html). */
export function shownText(payload: Record<string, unknown>): string;
/** Columns a single-line string takes on a terminal. */
export function displayWidth(s: string): number;
/** Where text written from a row's start ends (rows below it, column). */
export function displayPos(s: string, columns: number): { rows: number; cols: number };
export const DRAFT_PREFIX: string;
/** A draft as one line narrower than `columns`, its newest text after "…" when too long. */
export function draftLine(text: string, columns: number | undefined): string;
/** The one line a piped run prints for a turn's drafts. */
export function draftSummary(frames: number): string;
