import { Timestamp } from "@google-cloud/firestore";
import { describe, expect, it } from "vitest";
import { decide } from "../../../src/state/claims.js";
import type { Claim } from "../../../src/state/schemas.js";

const NOW = 1_000_000;
const claim = (state: Claim["state"], leaseUntil: number, owner = "owner-a"): Claim => ({
  updateId: 1,
  chatId: 2,
  state,
  owner,
  leaseUntil: Timestamp.fromMillis(leaseUntil),
  reply: state === "answered" || state === "undelivered" ? "hi" : null,
  replyTo: null,
  sent: 0,
  expireAt: Timestamp.fromMillis(NOW + 1e9),
});
const found = (c: Claim | null, exists = true) => ({
  value: c,
  updateTime: exists ? Timestamp.fromMillis(5) : null,
  exists,
});
const LIVE = NOW + 1;
const OVER = NOW;

describe("decide: what a delivery does with the claim it finds (the table in claims.ts)", () => {
  const cases: [string, ReturnType<typeof found>, string][] = [
    ["no claim: create it", found(null, false), "claim"],
    ["corrupt claim: replace it", found(null), "resume"],
    ["done: nothing left", found(claim("done", LIVE)), "done"],
    ["processing, lease live: in flight", found(claim("processing", LIVE)), "in_flight"],
    ["processing, lease over: take the turn over", found(claim("processing", OVER)), "resume"],
    ["released: take over at once", found(claim("released", LIVE)), "resume"],
    ["answered, lease live: the owner may be sending", found(claim("answered", LIVE)), "in_flight"],
    ["answered, lease over: deliver the stored reply", found(claim("answered", OVER)), "deliver"],
    ["undelivered: deliver at once", found(claim("undelivered", LIVE)), "deliver"],
  ];
  for (const [name, f, next] of cases) {
    it(name, () => {
      expect(decide(f, NOW).next).toBe(next);
    });
  }

  it("a claim this instance wrote in a commit whose outcome it never learned is its own to continue", () => {
    expect(decide(found(claim("processing", LIVE, "mine")), NOW, "mine").next).toBe("resume");
    expect(decide(found(claim("answered", LIVE, "mine")), NOW, "mine").next).toBe("deliver");
    expect(decide(found(claim("processing", LIVE, "theirs")), NOW, "mine").next).toBe("in_flight");
    expect(decide(found(claim("done", LIVE, "mine")), NOW, "mine").next).toBe("done");
  });
});
