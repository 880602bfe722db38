import { describe, expect, it } from "vitest";
import { splitMessage, TELEGRAM_TEXT_LIMIT } from "../../../src/telegram/split.js";

const normalise = (s: string): string => s.replace(/\s+/g, " ").trim();

/** Deterministic pseudo-random prose with paragraphs, lines and words of varied length. */
function prose(seed: number, words: number): string {
  let x = seed;
  const rand = (n: number): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  const parts: string[] = [];
  for (let i = 0; i < words; i++) {
    parts.push("word".repeat(1 + rand(4)) + String(i));
    const r = rand(20);
    parts.push(r === 0 ? "\n\n" : r === 1 ? "\n" : " ");
  }
  return parts.join("").trim();
}

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

describe("splitMessage", () => {
  it("returns [] for empty or whitespace-only input", () => {
    expect(splitMessage("")).toEqual([]);
    expect(splitMessage("\n\n  \n")).toEqual([]);
  });

  it("returns short text unchanged as a single chunk", () => {
    expect(splitMessage("hello world")).toEqual(["hello world"]);
    const exact = "x".repeat(TELEGRAM_TEXT_LIMIT);
    expect(splitMessage(exact)).toEqual([exact]);
  });

  it("keeps every chunk within the limit and preserves content and order", () => {
    for (const [seed, limit] of [
      [1, 4096],
      [2, 200],
      [3, 57],
      [4, 13],
    ] as const) {
      const text = prose(seed, 3000);
      const chunks = splitMessage(text, limit);
      expect(chunks.length).toBeGreaterThan(1);
      for (const c of chunks) {
        expect(c.length).toBeLessThanOrEqual(limit);
        expect(c).toBe(c.trim());
        expect(c).not.toBe("");
      }
      expect(normalise(chunks.join(" "))).toBe(normalise(text));
    }
  });

  it("prefers a paragraph break over a later line break or space", () => {
    const text = `${"a".repeat(10)}\n\n${"b".repeat(10)}\n${"c".repeat(5)} ${"d".repeat(20)}`;
    // The first window holds all three kinds of boundary; the second has a line break and a later space.
    expect(splitMessage(text, 30)).toEqual([
      "a".repeat(10),
      "b".repeat(10),
      `${"c".repeat(5)} ${"d".repeat(20)}`,
    ]);
  });

  it("prefers a line break over a later space", () => {
    const text = `${"a".repeat(10)}\n${"b".repeat(5)} ${"c".repeat(5)} ${"d".repeat(20)}`;
    expect(splitMessage(text, 25)).toEqual([
      "a".repeat(10),
      `${"b".repeat(5)} ${"c".repeat(5)}`,
      "d".repeat(20),
    ]);
  });

  it("prefers a space over a hard cut", () => {
    expect(splitMessage("aaaa bbbb cccc", 11)).toEqual(["aaaa bbbb", "cccc"]);
  });

  it("hard-cuts a 10,000-character word", () => {
    const word = "x".repeat(10_000);
    const chunks = splitMessage(word);
    expect(chunks.map((c) => c.length)).toEqual([4096, 4096, 1808]);
    expect(chunks.join("")).toBe(word);
  });

  it("never splits a surrogate pair", () => {
    // The leading "a" puts every pair boundary at an odd offset, so a naive cut at 4096 would split one.
    const text = `a${"😀".repeat(5000)}`;
    const chunks = splitMessage(text);
    expect(chunks.join("")).toBe(text);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
      expect(isLow(c.charCodeAt(0))).toBe(false);
      expect(isHigh(c.charCodeAt(c.length - 1))).toBe(false);
    }
    expect(chunks[0]!.length).toBe(4095);
  });

  it("closes and reopens a fenced code block cut across chunks", () => {
    const code = Array.from({ length: 60 }, (_, i) => `const x${i} = ${i};`).join("\n");
    const text = `Here is the code:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat is all.`;
    const chunks = splitMessage(text, 300);
    expect(chunks.length).toBeGreaterThan(3);
    for (const [i, c] of chunks.entries()) {
      expect(c.length).toBeLessThanOrEqual(300);
      const fenceLines = c.split("\n").filter((l) => l.startsWith("```"));
      expect(fenceLines.length % 2).toBe(0);
      if (i > 0 && i < chunks.length - 1) {
        expect(c.startsWith("```ts\n")).toBe(true);
        expect(c.endsWith("\n```")).toBe(true);
      }
    }
    expect(chunks.at(-1)!.endsWith("```\n\nThat is all.")).toBe(true);
    // Dropping the synthetic markers gives back exactly the original code lines, in order.
    const lines = chunks
      .join("\n")
      .split("\n")
      .filter((l) => l.startsWith("const "));
    expect(lines.join("\n")).toBe(code);
  });

  it("reopens a fence with no language tag as a bare fence", () => {
    const code = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    const chunks = splitMessage(`\`\`\`\n${code}\n\`\`\``, 100);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.startsWith("```\n")).toBe(true);
      expect(c.endsWith("\n```")).toBe(true);
      expect(c.length).toBeLessThanOrEqual(100);
    }
  });

  it("does not emit an empty code block when the cut falls just before the closing fence", () => {
    const body = "y".repeat(40);
    // The real closer has trailing spaces so it does not fit, but the synthetic "\n```" does (4 + 40 + 4).
    const text = `\`\`\`\n${body}\n\`\`\`   \n${"z".repeat(40)}`;
    const chunks = splitMessage(text, 48);
    expect(chunks).toEqual([`\`\`\`\n${body}\n\`\`\``, "z".repeat(40)]);
  });

  it("rejects limits that cannot make progress", () => {
    expect(() => splitMessage("abc", 1)).toThrow(RangeError);
  });
});
