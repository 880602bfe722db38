import { FieldPath, FieldValue, Timestamp } from "@google-cloud/firestore";
import { describe, expect, it } from "vitest";
import { writeConversation } from "../../../src/state/conversations.js";
import { Writes } from "../../../src/state/firestore.js";
import type { Conversation, Turn } from "../../../src/state/schemas.js";

const at = Timestamp.fromMillis(1);
const turn = (id: number): Turn => ({
  updateId: id,
  userId: 1,
  at,
  user: [{ type: "text", text: `m${id}` }],
  reply: [],
  status: "done",
});
const conv = (turns: Turn[], version: number): Conversation => ({
  chatId: 1,
  turns,
  version,
  updatedAt: at,
  rate: {},
  trimmedThrough: 0,
});

/** Records what a commit would write (the write set), nothing more. */
function recordingBatch() {
  const calls: { op: string; args: unknown[] }[] = [];
  const batch = {
    update: (_ref: unknown, ...args: unknown[]) => calls.push({ op: "update", args }),
    create: (_ref: unknown, data: unknown) => calls.push({ op: "create", args: [data] }),
  };
  return { batch: new Writes(batch as unknown as FirebaseFirestore.WriteBatch), calls };
}

describe("writeConversation (the write set of a history commit)", () => {
  const ref = {} as FirebaseFirestore.DocumentReference;

  it("writes only the changed turn and deletes trimmed ones, under lastUpdateTime", () => {
    const [t1, t2, t3] = [turn(1), turn(2), turn(3)];
    const base = { value: conv([t1, t2, t3], 7), updateTime: Timestamp.fromMillis(99), exists: true };
    const t4 = turn(4);
    const { batch, calls } = recordingBatch();
    writeConversation(batch, ref, base, conv([t2, t3, t4], 8)); // t1 trimmed, t4 added
    expect(calls).toHaveLength(1);
    const args = calls[0]!.args;
    expect(args.at(-1)).toEqual({ lastUpdateTime: Timestamp.fromMillis(99) });
    const paths = args.filter((a) => a instanceof FieldPath).map((p) => (p as FieldPath).toString());
    expect(paths).toEqual(["turns.`4`", "turns.`1`"]);
    expect(args[args.indexOf(args.find((a) => a instanceof FieldPath)!) + 1]).toBe(t4);
    expect(args.some((a) => a instanceof FieldValue && a.isEqual(FieldValue.delete()))).toBe(true);
    expect(args.slice(0, 2)).toEqual(["version", 8]);
  });

  it("replaces a missing or corrupt document whole, keyed by update id", () => {
    const { batch, calls } = recordingBatch();
    writeConversation(batch, ref, { value: null, updateTime: null, exists: false }, conv([turn(5)], 1));
    expect(calls[0]!.op).toBe("create");
    expect((calls[0]!.args[0] as { turns: object }).turns).toEqual({ "5": turn(5) });
  });
});
