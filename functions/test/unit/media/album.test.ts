import { describe, expect, it } from "vitest";
import {
  ALBUM_WINDOW,
  type Album,
  AlbumSchema,
  albumContent,
  albumKey,
  checkAlbum,
  checkTaskId,
  type IncomingItem,
  recordAlbumItem,
} from "../../../src/media/album.js";

const T0 = 1_750_000_000_000;
const LEASE = 330_000;
const item = (updateId: number, extra: Partial<IncomingItem> = {}): IncomingItem => ({
  updateId,
  chatId: 42,
  userId: 7,
  mediaGroupId: "13579",
  messageId: updateId - 100,
  candidate: { source: "photo", fileId: `f${updateId}`, fileUniqueId: `u${updateId}` },
  ...extra,
});

/** Items arriving one after another, as Telegram sends them: each after our answer to the last. */
function collect(arrivals: Array<[IncomingItem, number]>): Album {
  let album: Album | undefined;
  for (const [it, at] of arrivals) {
    const r = recordAlbumItem(album, it, at);
    if (r.album) album = AlbumSchema.parse(r.album);
  }
  return album!;
}

describe("album protocol", () => {
  it("opens on the first item, adds the next ones, and recognises a redelivery", () => {
    const first = recordAlbumItem(undefined, item(1001, { caption: "our trip" }), T0);
    expect(first.outcome).toBe("opened");
    expect(first.album).toMatchObject({ state: "collecting", firstAt: T0, lastAt: T0, checks: 1 });
    const second = recordAlbumItem(first.album, item(1002), T0 + 150);
    expect(second.outcome).toBe("added");
    expect(second.album).toMatchObject({ firstAt: T0, lastAt: T0 + 150 });
    expect(Object.keys(second.album!.items)).toEqual(["1001", "1002"]);
    expect(recordAlbumItem(second.album, item(1001), T0 + 900)).toEqual({
      outcome: "duplicate",
      album: undefined,
    });
    // The input is never changed: the caller writes what it gets back.
    expect(Object.keys(first.album!.items)).toEqual(["1001"]);
  });

  it("waits while items keep coming, then closes after a quiet window and owns the turn", () => {
    const album = collect([
      [item(1001), T0],
      [item(1002), T0 + 200],
      [item(1003), T0 + 450],
    ]);
    const early = checkAlbum(album, T0 + ALBUM_WINDOW.quietMs, "task-a", LEASE);
    expect(early).toMatchObject({
      action: "wait",
      until: T0 + 450 + ALBUM_WINDOW.quietMs,
      album: { checks: 2 },
    });
    const closed = checkAlbum(album, T0 + 450 + ALBUM_WINDOW.quietMs, "task-a", LEASE);
    expect(closed).toMatchObject({
      action: "close",
      album: { state: "closed", turnUpdateId: 1001, owner: "task-a", leaseUntil: T0 + 2450 + LEASE },
    });
  });

  it("closes at the cap even if items never stop", () => {
    const arrivals: Array<[IncomingItem, number]> = [];
    for (let i = 0; i < 10; i++) arrivals.push([item(1001 + i), T0 + i * 1_500]);
    const album = collect(arrivals);
    expect(checkAlbum(album, T0 + ALBUM_WINDOW.capMs - 1, "t", LEASE)).toMatchObject({
      action: "wait",
      until: T0 + ALBUM_WINDOW.capMs,
    });
    expect(checkAlbum(album, T0 + ALBUM_WINDOW.capMs, "t", LEASE).action).toBe("close");
  });

  it("turns an item that arrives after close into a late item, once", () => {
    const album = collect([[item(1001), T0]]);
    const decision = checkAlbum(album, T0 + 5_000, "t", LEASE);
    if (decision.action !== "close") throw new Error("expected close");
    const late = recordAlbumItem(decision.album, item(1002), T0 + 5_100);
    expect(late).toMatchObject({ outcome: "late", album: { late: [1002] } });
    expect(recordAlbumItem(late.album, item(1002), T0 + 9_000).outcome).toBe("duplicate");
  });

  it("lets exactly one check close; a later check finds it owned, or takes over after the lease", () => {
    const album = collect([[item(1001), T0]]);
    const first = checkAlbum(album, T0 + 3_000, "task-a", LEASE);
    if (first.action !== "close") throw new Error("expected close");
    expect(checkAlbum(first.album, T0 + 4_000, "task-b", LEASE)).toEqual({ action: "none" });
    expect(checkAlbum(first.album, T0 + 3_000 + LEASE, "task-b", LEASE)).toMatchObject({
      action: "resume",
      album: { owner: "task-b", state: "closed", turnUpdateId: 1001 },
    });
    expect(checkAlbum({ ...first.album, state: "answered" }, T0 + 10 * LEASE, "task-c", LEASE)).toEqual({
      action: "none",
    });
  });

  it("orders items as sent and joins their captions", () => {
    const album = collect([
      [item(1003, { messageId: 12, caption: "second caption" }), T0],
      [item(1001, { messageId: 10, caption: " first caption " }), T0 + 10],
      [
        item(1002, {
          messageId: 11,
          candidate: undefined,
          refused: { reason: "unsupported_kind", what: "video" },
        }),
        T0 + 20,
      ],
    ]);
    const { items, caption } = albumContent(album);
    expect(items.map((i) => i.messageId)).toEqual([10, 11, 12]);
    expect(items[1]).toMatchObject({ refused: { what: "video" } });
    expect(caption).toBe("first caption\n\nsecond caption");
  });

  it("names documents and check tasks safely", () => {
    expect(albumKey(-100123, "13579")).toBe("-100123_13579");
    expect(() => albumKey(1, "../x")).toThrow();
    const ids = [0, 1, 2].map((n) => checkTaskId(42, "13579", n));
    expect(new Set(ids).size).toBe(3);
    expect(ids[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(checkTaskId(42, "13579", 0)).toBe(ids[0]);
  });
});
