import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseTelegramHtml, richMessageProblem } from "./telegram-formats.js";

/**
 * Loopback Bot API for tests, the benchmark and the offline dev console. It speaks the wire format
 * grammY uses (POST /bot<token>/<method>, `{ ok, result }` answers) so the real client runs unmodified.
 * It validates like Telegram where our code can get it wrong: HTML parse mode (telegram-formats.ts),
 * text limits after entity parsing, drafts (private chats, non-zero draft_id), rich messages, and
 * optionally a per-chat flood limit (`rateLimit`).
 */

export interface TelegramErrorResponse {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export interface TelegramCall {
  method: string;
  token: string;
  // biome-ignore lint/suspicious/noExplicitAny: payloads are arbitrary Bot API parameters.
  payload: any;
  at: number;
  /** False when the fake answered with an error (injected or validation). */
  ok: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: whatever was sent back (`result` or the error body).
  response: any;
}

export type CallPredicate = (method: string, payload: Record<string, unknown>) => boolean;

/** How the fake serves a registered file (defaults: like Telegram, all at once). */
export interface FakeFileOptions {
  mime?: string;
  name?: string;
  /** Reuse a file_unique_id (the same file sent again gets a new file_id). */
  uniqueId?: string;
  /** file_size reported by getFile; null leaves it out. Default: the real size. */
  reportedSize?: number | null;
  /** Omit Content-Length (chunked transfer), so only the client's own cap can stop a large body. */
  chunked?: boolean;
  /** Declare the full length but send only this many bytes, then drop the connection. */
  truncateAt?: number;
  /** Send this many bytes, then hold the response until `release()` (or the client hangs up). */
  stallAfter?: number;
  /** Answer the download with this HTTP status instead of the bytes. */
  downloadStatus?: number;
}

/** A registered file, as getFile describes it. */
export interface FakeFile {
  file_id: string;
  file_unique_id: string;
  file_size: number;
  file_path: string;
  /** Lets a stalled download continue to the end. */
  release(): void;
}

export interface FileDownload {
  path: string;
  token: string;
  status: number;
  /** Body bytes written before the response ended or the client hung up. */
  bytesSent: number;
  /** True when the client closed the connection before the whole body was sent. */
  aborted: boolean;
}
export type MethodHandler = (payload: Record<string, unknown>, token: string) => unknown;

/**
 * A per-chat flood limit: at most `perChat` accepted calls of `methods` to one chat in
 * any `windowMs`; a call over it answers 429 with `retry_after` (whole seconds, as
 * Telegram sends it) until the oldest call in the window has aged out.
 */
export interface FakeRateLimit {
  perChat: number;
  windowMs: number;
  /** Default: every method that puts something in the chat (messages, edits, drafts). */
  methods?: readonly string[];
  /** Clock of the window (default Date.now). */
  now?: () => number;
}

/** Methods a flood limit counts unless told otherwise. */
export const CHAT_WRITE_METHODS = [
  "sendMessage",
  "sendRichMessage",
  "editMessageText",
  "sendMessageDraft",
  "sendRichMessageDraft",
] as const;

export interface FakeTelegram {
  /** apiRoot for grammY, e.g. "http://127.0.0.1:8781" (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly calls: TelegramCall[];
  callsFor(method: string): TelegramCall[];
  /** Payloads of successful sendMessage calls to that chat, in order (what the user actually saw). */
  // biome-ignore lint/suspicious/noExplicitAny: see TelegramCall.payload.
  messagesTo(chatId: number | string): any[];
  /** Payloads of successful sendRichMessage calls to that chat, in order. */
  // biome-ignore lint/suspicious/noExplicitAny: see TelegramCall.payload.
  richMessagesTo(chatId: number | string): any[];
  /** Successful draft frames (sendMessageDraft, sendRichMessageDraft) to that chat, in order. */
  draftsTo(chatId: number | string): TelegramCall[];
  /** Applies a per-chat flood limit (null: none, the default). */
  rateLimit(limit: FakeRateLimit | null): void;
  /** Calls of `method` received and not answered yet (a handler still working, or hanging). */
  pending(method: string): number;
  /** Polls until predicate is true; rejects after timeoutMs listing the last calls. */
  waitFor(predicate: (calls: readonly TelegramCall[]) => boolean, timeoutMs?: number): Promise<void>;
  /** The next `times` calls of `method` answer with that Telegram error. */
  failNext(method: string, response: TelegramErrorResponse, times?: number): void;
  /** Calls matching predicate fail, `times` times (default: until reset). Returns a remover. */
  failWhen(predicate: CallPredicate, response: TelegramErrorResponse, times?: number): () => void;
  /** Adds or overrides a method; the handler's return value becomes `result`. */
  handle(method: string, handler: MethodHandler): void;
  /** Listener for every recorded call (e.g. the console printing replies). Returns an unsubscriber. */
  onCall(listener: (call: TelegramCall) => void): () => void;
  /** Registers bytes that getFile and GET /file/bot<token>/<file_path> then serve. */
  addFile(bytes: Uint8Array, options?: FakeFileOptions): FakeFile;
  /** Every request to the file endpoint, in order (ended or aborted). */
  readonly downloads: FileDownload[];
  /** The username getMe reports (and sent messages carry) from now on; reset() restores the initial one. */
  setUsername(username: string): void;
  /**
   * Queues an update for getUpdates (long polling): a pending getUpdates call answers at once.
   * Returns the update_id it was given.
   */
  pushUpdate(update: Record<string, unknown>): number;
  /**
   * Forgets calls, downloads, fault rules, webhook state, queued updates and the username;
   * message ids, texts and files survive so ids never repeat.
   */
  reset(): void;
  close(): Promise<void>;
}

interface FaultRule {
  predicate: CallPredicate;
  response: TelegramErrorResponse;
  remaining: number;
}

class BotApiError extends Error {
  constructor(readonly response: TelegramErrorResponse) {
    super(response.description);
  }
}

const badRequest = (description: string) =>
  new BotApiError({ error_code: 400, description: `Bad Request: ${description}` });

export async function startFakeTelegram(
  opts: { port?: number; host?: string; username?: string } = {},
): Promise<FakeTelegram> {
  const host = opts.host ?? "127.0.0.1";
  const initialUsername = opts.username ?? "fake_bot";
  let username = initialUsername;
  // Long polling: updates not yet confirmed by an offset, and getUpdates calls waiting for one.
  let updates: Array<Record<string, unknown> & { update_id: number }> = [];
  let nextUpdateId = 1;
  const pollers = new Set<() => void>();
  const calls: TelegramCall[] = [];
  const listeners = new Set<(call: TelegramCall) => void>();
  const custom = new Map<string, MethodHandler>();
  let rules: FaultRule[] = [];
  let webhookUrl = "";
  const inProgress = new Map<string, number>();
  // Per chat: last message id and the current text of each message (for edit checks).
  const chats = new Map<string, { lastId: number; texts: Map<number, string> }>();

  const chatOf = (chatId: unknown) => {
    const key = String(chatId);
    let chat = chats.get(key);
    if (!chat) {
      chat = { lastId: 0, texts: new Map() };
      chats.set(key, chat);
    }
    return chat;
  };
  const chatObject = (chatId: unknown) => {
    const n = Number(chatId);
    return Number.isFinite(n)
      ? { id: n, type: "private", first_name: "Tester" }
      : { id: chatId, type: "channel" };
  };
  const botId = (token: string) => Number(token.split(":")[0]) || 1;
  const now = () => Math.floor(Date.now() / 1000);
  // Limits count the text after entity parsing: HTML tags removed, entities decoded.
  const visibleText = (payload: Record<string, unknown>): string => {
    const text = payload.text;
    if (text !== undefined && typeof text !== "string") throw badRequest("text must be a string");
    if (payload.parse_mode !== "HTML" || !text) return text ?? "";
    const parsed = parseTelegramHtml(text);
    if ("error" in parsed) throw badRequest(`can't parse entities: ${parsed.error}`);
    return parsed.text;
  };
  const requireText = (payload: Record<string, unknown>) => {
    const visible = visibleText(payload);
    if (visible.length === 0) throw badRequest("message text is empty");
    if (visible.length > 4096) throw badRequest("message is too long");
    return payload.text as string;
  };
  const requireRich = (payload: Record<string, unknown>) => {
    const problem = richMessageProblem(payload.rich_message);
    if (problem) throw badRequest(problem);
  };
  // Drafts: private chats only (user ids are positive, group ids negative) and a non-zero draft_id.
  const requireDraftTarget = (payload: Record<string, unknown>) => {
    const chatId = Number(payload.chat_id);
    if (!Number.isInteger(chatId) || chatId <= 0) {
      throw badRequest("message drafts can be sent only to private chats");
    }
    const draftId = Number(payload.draft_id);
    if (!Number.isInteger(draftId) || draftId === 0) throw badRequest("draft_id must be non-zero");
  };
  let limit: FakeRateLimit | null = null;
  const accepted = new Map<string, number[]>();
  /** The 429 a call over the flood limit gets, or null (and the call is counted). */
  const flood = (method: string, payload: Record<string, unknown>): TelegramErrorResponse | null => {
    if (!limit || payload.chat_id === undefined) return null;
    if (!(limit.methods ?? CHAT_WRITE_METHODS).includes(method)) return null;
    const now = (limit.now ?? Date.now)();
    const key = String(payload.chat_id);
    const recent = (accepted.get(key) ?? []).filter((t) => t > now - limit!.windowMs);
    if (recent.length >= limit.perChat) {
      accepted.set(key, recent);
      const retryAfter = Math.max(1, Math.ceil((recent[0]! + limit.windowMs - now) / 1000));
      return {
        error_code: 429,
        description: `Too Many Requests: retry after ${retryAfter}`,
        parameters: { retry_after: retryAfter },
      };
    }
    recent.push(now);
    accepted.set(key, recent);
    return null;
  };

  const builtins: Record<string, MethodHandler> = {
    getMe: (_p, token) => ({
      id: botId(token),
      is_bot: true,
      first_name: "Fake Bot",
      username,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
    }),
    sendMessage: (p, token) => {
      if (p.chat_id === undefined) throw badRequest("chat_id is empty");
      const text = requireText(p);
      const chat = chatOf(p.chat_id);
      const message_id = ++chat.lastId;
      chat.texts.set(message_id, text);
      const from = { id: botId(token), is_bot: true, first_name: "Fake Bot", username };
      return { message_id, from, chat: chatObject(p.chat_id), date: now(), text };
    },
    editMessageText: (p, token) => {
      if (p.inline_message_id !== undefined) return true;
      const text = requireText(p);
      const chat = chatOf(p.chat_id);
      const id = Number(p.message_id);
      const current = chat.texts.get(id);
      if (current === undefined) throw badRequest("message to edit not found");
      // Telegram rejects no-op edits; streaming code must cope with this.
      if (current === text) {
        throw badRequest(
          "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
        );
      }
      chat.texts.set(id, text);
      const from = { id: botId(token), is_bot: true, first_name: "Fake Bot", username };
      return { message_id: id, from, chat: chatObject(p.chat_id), date: now(), edit_date: now(), text };
    },
    // Always succeeds: the user's own messages (delivered as updates) are unknown to the fake.
    deleteMessage: (p) => chatOf(p.chat_id).texts.delete(Number(p.message_id)) || true,
    // A draft is an ephemeral preview, not a message: nothing to return but true.
    sendMessageDraft: (p) => {
      requireDraftTarget(p);
      // 0-4096 characters after entity parsing; empty shows a "Thinking…" placeholder.
      if (visibleText(p).length > 4096) throw badRequest("message is too long");
      return true;
    },
    sendRichMessageDraft: (p) => {
      requireDraftTarget(p);
      requireRich(p);
      return true;
    },
    sendRichMessage: (p, token) => {
      if (p.chat_id === undefined) throw badRequest("chat_id is empty");
      requireRich(p);
      const message_id = ++chatOf(p.chat_id).lastId;
      const from = { id: botId(token), is_bot: true, first_name: "Fake Bot", username: "fake_bot" };
      return { message_id, from, chat: chatObject(p.chat_id), date: now(), rich_message: p.rich_message };
    },
    sendChatAction: (p) => {
      if (typeof p.action !== "string") throw badRequest("action is empty");
      return true;
    },
    getFile: (p) => {
      const entry = files.get(String(p.file_id ?? ""));
      if (!entry) throw badRequest("invalid file_id");
      // The cloud Bot API refuses getFile above 20 MB.
      if (entry.bytes.byteLength > 20 * 1024 * 1024) throw badRequest("file is too big");
      const { file_id, file_unique_id, file_path } = entry.file;
      const size =
        entry.options.reportedSize === undefined ? entry.bytes.byteLength : entry.options.reportedSize;
      return { file_id, file_unique_id, ...(size === null ? {} : { file_size: size }), file_path };
    },
    setMyCommands: () => true,
    deleteMyCommands: () => true,
    setWebhook: (p) => {
      webhookUrl = String(p.url ?? "");
      return true;
    },
    deleteWebhook: () => {
      webhookUrl = "";
      return true;
    },
    // Like Telegram: confirms (drops) updates below offset, answers at once when some are
    // queued, else waits up to `timeout` seconds for one. 409 while a webhook is set.
    getUpdates: async (p) => {
      if (webhookUrl) {
        throw new BotApiError({
          error_code: 409,
          description:
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
        });
      }
      const offset = Number(p.offset ?? 0);
      if (offset > 0) updates = updates.filter((u) => u.update_id >= offset);
      const timeoutMs = Math.min(Number(p.timeout ?? 0), 50) * 1000;
      if (updates.length === 0 && timeoutMs > 0) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            pollers.delete(done);
            resolve();
          };
          const timer = setTimeout(done, timeoutMs);
          pollers.add(done);
        });
      }
      return updates.slice(0, Number(p.limit ?? 100));
    },
    getWebhookInfo: () => ({
      url: webhookUrl,
      has_custom_certificate: false,
      pending_update_count: updates.length,
      max_connections: webhookUrl ? 40 : undefined,
      ip_address: webhookUrl ? "127.0.0.1" : undefined,
    }),
  };

  const record = (call: TelegramCall) => {
    calls.push(call);
    for (const listener of listeners) {
      try {
        listener(call);
      } catch {
        // A faulty console printer must not break the API.
      }
    }
  };

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
      if (fileMatch && req.method === "GET") {
        return await serveFile(res, decodeURIComponent(fileMatch[1]!), decodeURIComponent(fileMatch[2]!));
      }
      // grammY's test environment inserts "/test" before the method.
      const match = /^\/bot([^/]+)\/(?:test\/)?([A-Za-z]+)$/.exec(url.pathname);
      if (!match) return answer(res, 404, { ok: false, error_code: 404, description: "Not Found" });
      const token = decodeURIComponent(match[1]!);
      const method = match[2]!;
      const payload = { ...Object.fromEntries(url.searchParams), ...(await readPayload(req)) };
      const at = Date.now();

      const rule = rules.find((r) => r.remaining > 0 && r.predicate(method, payload));
      const handler = custom.get(method) ?? builtins[method];
      inProgress.set(method, (inProgress.get(method) ?? 0) + 1);
      try {
        if (rule) {
          rule.remaining--;
          throw new BotApiError(rule.response);
        }
        const limited = flood(method, payload);
        if (limited) throw new BotApiError(limited);
        if (!handler) {
          throw new BotApiError({ error_code: 404, description: "Not Found: method not found" });
        }
        const result = await handler(payload, token);
        const body =
          method === "setWebhook"
            ? { ok: true, result, description: "Webhook was set" }
            : { ok: true, result };
        record({ method, token, payload, at, ok: true, response: result });
        answer(res, 200, body);
      } catch (error) {
        if (!(error instanceof BotApiError)) throw error;
        const { error_code, description, parameters } = error.response;
        const body = { ok: false, error_code, description, ...(parameters ? { parameters } : {}) };
        record({ method, token, payload, at, ok: false, response: body });
        answer(res, error_code, body);
      } finally {
        inProgress.set(method, (inProgress.get(method) ?? 1) - 1);
      }
    } catch (error) {
      answer(res, 500, {
        ok: false,
        error_code: 500,
        description: `Internal Server Error: ${String(error)}`,
      });
    } finally {
      rules = rules.filter((r) => r.remaining > 0);
    }
  });

  // Files: registered by file_id and by file_path (getFile, then GET /file/bot<token>/<path>).
  interface FileEntry {
    bytes: Uint8Array;
    options: FakeFileOptions;
    file: FakeFile;
    released: boolean;
    wake?: () => void;
  }
  const files = new Map<string, FileEntry>();
  const filesByPath = new Map<string, FileEntry>();
  const downloads: FileDownload[] = [];
  const stalls = new Set<() => void>();
  let fileCount = 0;
  const CHUNK = 64 * 1024;
  async function serveFile(res: ServerResponse, token: string, path: string) {
    const entry = filesByPath.get(path);
    const record: FileDownload = { path, token, status: 200, bytesSent: 0, aborted: false };
    downloads.push(record);
    if (!entry) {
      record.status = 404;
      return answer(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    }
    const { bytes, options } = entry;
    if (options.downloadStatus !== undefined) {
      record.status = options.downloadStatus;
      return answer(res, options.downloadStatus, {
        ok: false,
        error_code: options.downloadStatus,
        description: "Injected error",
      });
    }
    let closed = false;
    res.once("close", () => {
      closed = true;
      if (!res.writableFinished) record.aborted = true;
    });
    res.writeHead(200, {
      "content-type": options.mime ?? "application/octet-stream",
      ...(options.chunked ? {} : { "content-length": String(bytes.byteLength) }),
    });
    const end = Math.min(bytes.byteLength, options.truncateAt ?? bytes.byteLength);
    const stallAt = options.stallAfter ?? Number.POSITIVE_INFINITY;
    for (let at = 0; at < end && !closed; ) {
      if (at >= stallAt && !entry.released) {
        await new Promise<void>((resolve) => {
          const done = () => {
            stalls.delete(done);
            resolve();
          };
          stalls.add(done);
          entry.wake = done;
          res.once("close", done);
        });
        if (closed) break;
      }
      const next = Math.min(end, at + CHUNK, at < stallAt ? stallAt : end);
      const ok = res.write(bytes.subarray(at, next));
      record.bytesSent = next;
      at = next;
      if (!ok && !closed) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          res.on("drain", done);
          res.on("close", done);
        });
      }
    }
    if (closed) return;
    if (end < bytes.byteLength) {
      // Declared length, fewer bytes, then the connection drops: what a cut transfer looks like.
      record.aborted = true;
      res.socket?.destroy();
      return;
    }
    res.end();
  }

  function addFile(bytes: Uint8Array, options: FakeFileOptions = {}): FakeFile {
    const n = ++fileCount;
    const folder = options.mime?.startsWith("image/") && !options.name ? "photos" : "documents";
    const ext =
      /\.([A-Za-z0-9]{1,8})$/.exec(options.name ?? "")?.[1] ?? (folder === "photos" ? "jpg" : "bin");
    const file: FakeFile = {
      file_id: `BQACAgFake${n}_${Math.random().toString(36).slice(2, 12)}`,
      file_unique_id: options.uniqueId ?? `AgADFake${n}`,
      file_size: bytes.byteLength,
      file_path: `${folder}/file_${n}.${ext}`,
      release: () => {
        entry.released = true;
        entry.wake?.();
      },
    };
    const entry: FileEntry = { bytes: new Uint8Array(bytes), options, file, released: false };
    files.set(file.file_id, entry);
    filesByPath.set(file.file_path, entry);
    return file;
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host}:${port}`,
    port,
    calls,
    callsFor: (method) => calls.filter((c) => c.method === method),
    pending: (method) => inProgress.get(method) ?? 0,
    messagesTo: (chatId) =>
      calls
        .filter((c) => c.ok && c.method === "sendMessage" && String(c.payload.chat_id) === String(chatId))
        .map((c) => c.payload),
    richMessagesTo: (chatId) =>
      calls
        .filter((c) => c.ok && c.method === "sendRichMessage" && String(c.payload.chat_id) === String(chatId))
        .map((c) => c.payload),
    draftsTo: (chatId) =>
      calls.filter(
        (c) =>
          c.ok &&
          (c.method === "sendMessageDraft" || c.method === "sendRichMessageDraft") &&
          String(c.payload.chat_id) === String(chatId),
      ),
    rateLimit(next) {
      limit = next;
      accepted.clear();
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(calls)) {
        if (Date.now() > deadline) {
          const recent = calls.slice(-5).map((c) => `${c.method} ${JSON.stringify(c.payload).slice(0, 200)}`);
          throw new Error(
            `fake Telegram: condition not met within ${timeoutMs} ms; last calls:\n${recent.join("\n")}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    failNext(method, response, times = 1) {
      rules.push({ predicate: (m) => m === method, response, remaining: times });
    },
    failWhen(predicate, response, times = Number.POSITIVE_INFINITY) {
      const rule = { predicate, response, remaining: times };
      rules.push(rule);
      return () => {
        rule.remaining = 0;
      };
    },
    handle: (method, handler) => void custom.set(method, handler),
    addFile,
    downloads,
    onCall(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    setUsername(name) {
      username = name;
    },
    pushUpdate(update) {
      const update_id = nextUpdateId++;
      updates.push({ ...update, update_id });
      for (const wake of [...pollers]) wake();
      return update_id;
    },
    reset() {
      calls.length = 0;
      downloads.length = 0;
      rules = [];
      webhookUrl = "";
      updates = [];
      username = initialUsername;
      for (const wake of [...pollers]) wake();
      limit = null;
      accepted.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const release of [...stalls]) release();
        // Pending long polls answer (empty) instead of holding the server open.
        for (const wake of [...pollers]) wake();
        server.close(() => resolve());
        // Keep-alive sockets from the client would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

async function readPayload(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  if (raw.length === 0) return {};
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/x-www-form-urlencoded")) {
    return mapValues(Object.fromEntries(new URLSearchParams(raw.toString("utf8"))));
  }
  const boundary = /boundary=("?)([^";]+)\1/.exec(type)?.[2];
  if (type.includes("multipart/form-data") && boundary) return parseMultipart(raw, boundary);
  try {
    const parsed: unknown = JSON.parse(raw.toString("utf8"));
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

// Form encodings carry nested objects (reply_markup, entities) as JSON strings.
function coerce(value: string): unknown {
  if (!/^[[{]/.test(value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function mapValues(obj: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, coerce(v)]));
}

// Minimal multipart reader: text fields as values, files reduced to {filename, size}.
function parseMultipart(raw: Buffer, boundary: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of raw.toString("latin1").split(`--${boundary}`)) {
    const split = part.indexOf("\r\n\r\n");
    if (split < 0) continue;
    const head = part.slice(0, split);
    const body = part.slice(split + 4).replace(/\r\n$/, "");
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (!name) continue;
    const filename = /filename=("?)([^";\r\n]*)\1/i.exec(head)?.[2];
    out[name] =
      filename !== undefined
        ? { filename, size: body.length }
        : coerce(Buffer.from(body, "latin1").toString("utf8"));
  }
  return out;
}
