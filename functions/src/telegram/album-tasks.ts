import { z } from "zod";
import { checkTaskId } from "../media/album.js";

/** A check of one album (media/ALBUMS.md): the payload of the `albumCheck` task. */
export const AlbumTaskSchema = z.object({
  chatId: z.number().int(),
  mediaGroupId: z.string().min(1),
  seq: z.number().int().min(0),
});
export type AlbumTask = z.infer<typeof AlbumTaskSchema>;

/** Schedules an album check for `at` (epoch ms). Repeating the same check is a no-op. */
export type AlbumScheduler = (task: AlbumTask, at: number) => Promise<void>;

/**
 * Cloud Tasks through firebase-admin: the `albumCheck` task queue function
 * (index.ts). Each check has a fixed id, so enqueuing it twice (an item
 * redelivered while the album collects) keeps one task. In the emulator suite
 * firebase-admin talks to the Cloud Tasks emulator (CLOUD_TASKS_EMULATOR_HOST).
 */
export function cloudTasksScheduler(region: string, functionName = "albumCheck"): AlbumScheduler {
  return async (task, at) => {
    const [{ getApps, initializeApp }, { getFunctions }] = await Promise.all([
      import("firebase-admin/app"),
      import("firebase-admin/functions"),
    ]);
    const queue = getFunctions(getApps()[0] ?? initializeApp()).taskQueue<AlbumTask>(
      `locations/${region}/functions/${functionName}`,
    );
    try {
      await queue.enqueue(task, {
        scheduleTime: new Date(at),
        id: checkTaskId(task.chatId, task.mediaGroupId, task.seq),
      });
    } catch (err) {
      // Typed by code: the same check was enqueued before.
      if ((err as { code?: string }).code === "functions/task-already-exists") return;
      throw err;
    }
  };
}
