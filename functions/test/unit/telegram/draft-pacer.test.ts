import { describe, expect, it } from "vitest";
import { DRAFT_FRAME_INTERVAL_MS, DraftPacer } from "../../../src/telegram/draft-pacer.js";
import { ManualClock } from "../../support/clock.js";

describe("draft pacer", () => {
  it("one frame per interval per chat; chats are independent", () => {
    const clock = new ManualClock();
    const pacer = new DraftPacer(clock);
    expect(pacer.delay(1)).toBe(0);
    pacer.sent(1);
    expect(pacer.delay(1)).toBe(DRAFT_FRAME_INTERVAL_MS);
    expect(pacer.delay(2)).toBe(0);
    clock.advance(100);
    expect(pacer.delay(1)).toBe(DRAFT_FRAME_INTERVAL_MS - 100);
    clock.advance(DRAFT_FRAME_INTERVAL_MS);
    expect(pacer.delay(1)).toBe(0);
  });

  it("a 429 blocks the chat for retry_after (at least a second), never shortening a block", () => {
    const clock = new ManualClock();
    const pacer = new DraftPacer(clock);
    pacer.limited(1, 5);
    expect(pacer.delay(1)).toBe(5000);
    pacer.sent(1); // a frame that left before the 429 came back does not lift the block
    expect(pacer.delay(1)).toBe(5000);
    pacer.limited(1, 0);
    expect(pacer.delay(1)).toBe(5000);
    clock.advance(5000);
    expect(pacer.delay(1)).toBe(0);
    pacer.limited(2, 0);
    expect(pacer.delay(2)).toBe(1000);
  });

  it("remembers a bounded number of chats, dropping those with nothing left to wait first", () => {
    const clock = new ManualClock();
    const pacer = new DraftPacer(clock, 100, 3);
    pacer.limited(1, 60);
    pacer.sent(2);
    pacer.sent(3);
    clock.advance(200);
    pacer.sent(4);
    expect(pacer.size).toBe(2); // 2 and 3 had nothing left to wait
    expect(pacer.delay(1)).toBeGreaterThan(0);
    pacer.sent(5);
    pacer.sent(6);
    expect(pacer.size).toBe(3);
  });

  it("sent() never shortens a 429 block even after later frames", () => {
    const clock = new ManualClock();
    const pacer = new DraftPacer(clock);
    pacer.limited(7, 2);
    clock.advance(1000);
    pacer.sent(7);
    expect(pacer.delay(7)).toBe(1000);
  });
});
