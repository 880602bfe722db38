import { describe, expect, it } from "vitest";
import { RECEIPT_FLUSH_MS } from "../../../src/state/receipts.js";
import type { AlbumTask } from "../../../src/telegram/album-tasks.js";
import { inProcessApp, randomPortFakes, request } from "../../support/app.js";
import { ManualClock } from "../../support/clock.js";
import { mediaUpdate, nextUpdateId, storedConversation } from "../../support/e2e.js";
import { useFakes } from "../../support/fakes.js";
import { uid, uniquePrefix } from "../../support/firestore.js";
import { photoJpeg } from "../../support/media-files.js";

const { telegram, anthropic } = useFakes(randomPortFakes);

describe("albums (in process, album checks driven by the test)", () => {
  it("three photos delivered concurrently, twice each, on two instances: one turn, one model call, one reply", async () => {
    const prefix = uniquePrefix();
    const clock = new ManualClock();
    const tasks: { task: AlbumTask; at: number }[] = [];
    const schedule = async (task: AlbumTask, at: number) => void tasks.push({ task, at });
    const [a, b] = await Promise.all(
      [1, 2].map(() =>
        inProcessApp({ telegram, anthropic }, { prefix, clock, scheduleAlbumCheck: schedule }),
      ),
    );
    const chat = uid();
    const group = `${Date.now()}${uid()}`;
    const first = nextUpdateId();
    const items = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const file = telegram.addFile(await photoJpeg(800, 600, { seed: i + 1 }), { mime: "image/jpeg" });
        return mediaUpdate(
          chat,
          { photo: file, width: 800, height: 600 },
          {
            updateId: first + i,
            mediaGroupId: group,
            ...(i === 0 ? { caption: "compare these three" } : {}),
          },
        );
      }),
    );
    const statuses = await Promise.all(
      items.flatMap((u) => [a!.webhook(request(u)), b!.webhook(request(structuredClone(u)))]),
    );
    expect(statuses.map((s) => s.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(anthropic.requests).toHaveLength(0); // nothing runs until the album closes
    expect(tasks.length).toBeGreaterThanOrEqual(1);
    // Too early: the check re-arms itself for the end of the quiet window.
    await a!.albumCheck(tasks[0]!.task);
    expect(anthropic.requests).toHaveLength(0);
    clock.advance(2_000);
    // Cloud Tasks may deliver a check twice, to any instance, at once: one runs the turn,
    // a copy that meets it in flight fails (Cloud Tasks retries it later)...
    await Promise.allSettled(tasks.map(({ task }, i) => (i % 2 ? a : b)!.albumCheck(task)));
    // ...and the retry finds the turn done, once the delivery receipt has landed.
    clock.advance(RECEIPT_FLUSH_MS);
    await Promise.all([a!.state.background.drain(), b!.state.background.drain()]);
    await a!.albumCheck(tasks.at(-1)!.task);
    expect(anthropic.requests).toHaveLength(1);
    const images = JSON.stringify(anthropic.requests[0]!.body.messages).match(/"type":"image"/g) ?? [];
    expect(images).toHaveLength(3);
    expect(JSON.stringify(anthropic.requests[0]!.body.messages)).toContain("compare these three");
    expect(telegram.messagesTo(chat)).toHaveLength(1);
    const turns = (await storedConversation(chat, prefix))!.turns;
    expect(turns).toHaveLength(1);
    expect(turns[0]!.updateId).toBe(first);
    // A late redelivery of any item is a duplicate: no new turn.
    expect((await b!.webhook(request(items[2]!))).status).toBe(200);
    expect(anthropic.requests).toHaveLength(1);
  });
});
