import type { PreparedMediaCache } from "./cache.js";
import type { MediaCandidate } from "./classify.js";
import { type Detected, detectType } from "./detect.js";
import { Gate } from "./gate.js";
import type { MediaLimits } from "./limits.js";
import { type PreparedMedia, prepareMedia } from "./prepare.js";
import type { MediaRef } from "./reference.js";
import type { FileSource } from "./telegram-files.js";

export interface IngestResult {
  /** What the turn stores in history. */
  ref: MediaRef;
  /** What the model gets now (also in the L1 cache under ref.fileUniqueId). */
  prepared: PreparedMedia;
}

export interface MediaStore {
  /** A new message's media: fetched, checked, prepared, cached; throws a MediaError to refuse. */
  ingest(candidate: MediaCandidate, signal: AbortSignal): Promise<IngestResult>;
  /** Media of a stored reference: from the L1 cache, else fetched and prepared again. */
  resolve(ref: MediaRef, signal?: AbortSignal): Promise<PreparedMedia>;
}

/**
 * Media by reference, cache first. Bytes go Telegram → prepare → cache → request; history only
 * ever holds the MediaRef.
 */
export function createMediaStore(deps: {
  files: FileSource;
  cache: PreparedMediaCache;
  limits: MediaLimits;
  /**
   * Downloads + preparations at once per process (default 4, libuv's thread pool, which
   * runs sharp anyway). Each holds a whole file (up to 20 MB) and its decode in memory.
   */
  concurrency?: number;
}): MediaStore {
  const { files, cache, limits } = deps;
  const gate = new Gate(deps.concurrency ?? 4);

  function fetchAndPrepare(fileId: string, signal: AbortSignal): Promise<PreparedMedia> {
    return gate.run(() => fetchAndPrepareNow(fileId, signal), signal);
  }

  async function fetchAndPrepareNow(fileId: string, signal: AbortSignal): Promise<PreparedMedia> {
    let detected: Detected | undefined;
    const bytes = await files.download(fileId, {
      maxBytes: limits.maxFileBytes,
      signal,
      // Refuses a video or an archive after its first 4 KB instead of after 20 MB.
      sniff: async (head) => {
        detected = await detectType(head);
      },
    });
    return prepareMedia(bytes, detected ?? (await detectType(bytes)), limits);
  }

  return {
    async ingest(candidate, signal) {
      const prepared = await cache.load(
        candidate.fileUniqueId,
        (s) => fetchAndPrepare(candidate.fileId, s),
        signal,
      );
      const kind = candidate.source === "photo" ? "photo" : prepared.kind;
      const ref: MediaRef = {
        kind,
        fileId: candidate.fileId,
        fileUniqueId: candidate.fileUniqueId,
        mediaType: prepared.mediaType,
        size: prepared.sourceBytes,
        ...(candidate.name ? { name: candidate.name.slice(0, 256) } : {}),
      };
      return { ref, prepared };
    },
    resolve(ref, signal) {
      return cache.load(ref.fileUniqueId, (s) => fetchAndPrepare(ref.fileId, s), signal);
    },
  };
}
