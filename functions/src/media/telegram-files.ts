import { Api } from "grammy";
import { MediaError, summarize } from "./errors.js";

/** The parts of a Bot API `File` the download needs. */
export interface TelegramFile {
  file_id: string;
  file_unique_id: string;
  file_size?: number;
  file_path?: string;
}

/** The one Bot API method the media layer calls (see grammyFileApi). */
export interface FileApi {
  getFile(fileId: string, signal?: AbortSignal): Promise<TelegramFile>;
}

/**
 * grammY's `bot.api` as a FileApi. Its declared AbortSignal is the `abort-controller` shim's
 * type, not the global one; at run time it takes the native signal (its fetch aborts on it).
 */
export function grammyFileApi(api: {
  getFile(fileId: string, signal?: never): Promise<TelegramFile>;
}): FileApi {
  return { getFile: (fileId, signal) => api.getFile(fileId, signal as never) };
}

/** `fetch`, injectable (tests, proxies). Only the streaming body and status are used. */
export type FetchLike = (url: string, init: { signal: AbortSignal }) => Promise<Response>;

export interface DownloadOptions {
  /** Abort as soon as more than this many bytes arrive (and refuse up front when the size is known). */
  maxBytes: number;
  /** The request's deadline: aborts getFile and the download. */
  signal: AbortSignal;
  /**
   * Called once with the first SNIFF_BYTES (or the whole file if smaller) before the rest is
   * read; throwing aborts the download (e.g. a 19 MB video is refused after 4 KB).
   */
  sniff?: (head: Uint8Array) => void | Promise<void>;
}

export interface FileSource {
  download(fileId: string, options: DownloadOptions): Promise<Uint8Array>;
}

/** file-type reads at most 4100 bytes to recognise a format. */
export const SNIFF_BYTES = 4100;

const INITIAL_CAPACITY = 256 * 1024;

// Telegram's file paths look like "photos/file_12.jpg"; anything else is not followed.
const SAFE_PATH = /^[A-Za-z0-9_\-./]+$/;

/**
 * Downloads files through the Bot API: `getFile`, then `<apiRoot>/file/bot<token>/<file_path>`,
 * streamed into one buffer that never grows past `maxBytes`. The URL exists only inside this
 * function; every error thrown is a MediaError whose message, details and cause are redacted.
 */
export function createTelegramFileSource(deps: {
  api: FileApi;
  token: string;
  apiRoot: string;
  fetch?: FetchLike;
}): FileSource {
  const doFetch: FetchLike = deps.fetch ?? ((url, init) => fetch(url, init));
  const root = deps.apiRoot.replace(/\/+$/, "");
  const secrets = [deps.token];

  const fail = (reason: "download_failed" | "file_unavailable", what: string, err?: unknown) =>
    new MediaError(reason, `${what} failed`, {}, err === undefined ? undefined : summarize(err, secrets));
  const timeout = (stage: string) => new MediaError("timeout", `deadline reached during ${stage}`, { stage });

  async function fileInfo(fileId: string, signal: AbortSignal): Promise<TelegramFile> {
    try {
      return await deps.api.getFile(fileId, signal);
    } catch (err) {
      if (signal.aborted) throw timeout("getFile");
      // grammY's GrammyError carries the Bot API's error_code; HttpError (network) has none.
      const code = (err as { error_code?: unknown } | null)?.error_code;
      if (typeof code === "number" && code >= 400 && code < 500 && code !== 429) {
        throw fail("file_unavailable", "getFile", err);
      }
      throw fail("download_failed", "getFile", err);
    }
  }

  return {
    async download(fileId, { maxBytes, signal, sniff }) {
      if (signal.aborted) throw timeout("getFile");
      const file = await fileInfo(fileId, signal);
      if (file.file_size !== undefined && file.file_size > maxBytes) {
        throw new MediaError("too_large", "file over the size limit", {
          sizeBytes: file.file_size,
          limitBytes: maxBytes,
        });
      }
      const path = file.file_path;
      if (!path || !SAFE_PATH.test(path) || path.includes("..")) {
        throw new MediaError("file_unavailable", "getFile returned no usable file_path");
      }

      // Our own controller stops the transfer when the cap is hit; the caller's stops it at the deadline.
      const stop = new AbortController();
      const both = AbortSignal.any([signal, stop.signal]);
      let response: Response;
      try {
        response = await doFetch(`${root}/file/bot${deps.token}/${path}`, { signal: both });
      } catch (err) {
        if (signal.aborted) throw timeout("download");
        throw fail("download_failed", "file download", err);
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        const reason =
          response.status >= 500 || response.status === 429 ? "download_failed" : "file_unavailable";
        throw new MediaError(reason, `file download answered ${response.status}`, {
          status: response.status,
        });
      }
      const header = Number(response.headers.get("content-length") ?? Number.NaN);
      const declared = Number.isFinite(header) ? header : file.file_size;
      if (declared !== undefined && declared > maxBytes) {
        stop.abort();
        await response.body?.cancel().catch(() => undefined);
        throw new MediaError("too_large", "file over the size limit", {
          sizeBytes: declared,
          limitBytes: maxBytes,
        });
      }
      if (!response.body) throw new MediaError("download_failed", "file download had no body");

      const reader = response.body.getReader();
      // One buffer sized from the declared length (no concat copy); grows by doubling, never past maxBytes.
      let buf = new Uint8Array(Math.min(maxBytes, declared ?? INITIAL_CAPACITY));
      let total = 0;
      let sniffed = sniff === undefined;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (total + value.byteLength > maxBytes) {
            stop.abort();
            throw new MediaError("too_large", "file over the size limit", {
              sizeBytes: total + value.byteLength,
              limitBytes: maxBytes,
              partial: true,
            });
          }
          if (total + value.byteLength > buf.byteLength) {
            let capacity = Math.max(buf.byteLength * 2, INITIAL_CAPACITY);
            while (capacity < total + value.byteLength) capacity *= 2;
            const grown = new Uint8Array(Math.min(maxBytes, capacity));
            grown.set(buf.subarray(0, total));
            buf = grown;
          }
          buf.set(value, total);
          total += value.byteLength;
          if (!sniffed && total >= SNIFF_BYTES) {
            sniffed = true;
            try {
              await sniff!(buf.subarray(0, total));
            } catch (err) {
              throw new SniffRefusal(err);
            }
          }
        }
      } catch (err) {
        stop.abort();
        reader.releaseLock();
        // The caller's own verdict (e.g. unsupported_type) passes through unchanged.
        if (err instanceof SniffRefusal) throw err.error;
        if (err instanceof MediaError) throw err;
        if (signal.aborted) throw timeout("download");
        throw fail("download_failed", "file download", err);
      }
      if (declared !== undefined && total !== declared) {
        throw new MediaError("download_failed", "file download was truncated", {
          receivedBytes: total,
          expectedBytes: declared,
        });
      }
      const bytes = total === buf.byteLength ? buf : buf.slice(0, total);
      if (!sniffed) await sniff!(bytes);
      return bytes;
    },
  };
}

/** Marks an error thrown by the caller's sniff callback while the transfer runs. */
class SniffRefusal extends Error {
  constructor(readonly error: unknown) {
    super("sniff refused the file");
  }
}

/**
 * A bot's files on the Bot API at `apiRoot`: getFile and the download URL use the same token
 * and root, so they cannot disagree. A plain Api: the bot's auto-retry transformer is not on it.
 */
export function botFileSource(token: string, apiRoot: string): FileSource {
  return createTelegramFileSource({ api: grammyFileApi(new Api(token, { apiRoot })), token, apiRoot });
}
