import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Loopback Bot API for tests, the benchmark and the offline dev console. It speaks the wire format
 * grammY uses (POST /bot<token>/<method>, `{ ok, result }` answers) so the real client runs unmodified.
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
export type MethodHandler = (payload: Record<string, unknown>, token: string) => unknown;

export interface FakeTelegram {
  /** apiRoot for grammY, e.g. "http://127.0.0.1:8781" (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly calls: TelegramCall[];
  callsFor(method: string): TelegramCall[];
  /** Payloads of successful sendMessage calls to that chat, in order (what the user actually saw). */
  // biome-ignore lint/suspicious/noExplicitAny: see TelegramCall.payload.
  messagesTo(chatId: number | string): any[];
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
  /** Forgets calls, fault rules and webhook state; message ids and texts survive so ids never repeat. */
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

export async function startFakeTelegram(opts: { port?: number; host?: string } = {}): Promise<FakeTelegram> {
  const host = opts.host ?? "127.0.0.1";
  const calls: TelegramCall[] = [];
  const listeners = new Set<(call: TelegramCall) => void>();
  const custom = new Map<string, MethodHandler>();
  let rules: FaultRule[] = [];
  let webhookUrl = "";
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
  const requireText = (payload: Record<string, unknown>) => {
    const text = payload.text;
    if (typeof text !== "string" || text.length === 0) throw badRequest("message text is empty");
    if (text.length > 4096) throw badRequest("message is too long");
    return text;
  };

  const builtins: Record<string, MethodHandler> = {
    getMe: (_p, token) => ({
      id: botId(token),
      is_bot: true,
      first_name: "Fake Bot",
      username: "fake_bot",
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
      const from = { id: botId(token), is_bot: true, first_name: "Fake Bot", username: "fake_bot" };
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
      const from = { id: botId(token), is_bot: true, first_name: "Fake Bot", username: "fake_bot" };
      return { message_id: id, from, chat: chatObject(p.chat_id), date: now(), edit_date: now(), text };
    },
    // Always succeeds: the user's own messages (delivered as updates) are unknown to the fake.
    deleteMessage: (p) => chatOf(p.chat_id).texts.delete(Number(p.message_id)) || true,
    sendChatAction: (p) => {
      if (typeof p.action !== "string") throw badRequest("action is empty");
      return true;
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
    getWebhookInfo: () => ({
      url: webhookUrl,
      has_custom_certificate: false,
      pending_update_count: 0,
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
      // grammY's test environment inserts "/test" before the method.
      const match = /^\/bot([^/]+)\/(?:test\/)?([A-Za-z]+)$/.exec(url.pathname);
      if (!match) return answer(res, 404, { ok: false, error_code: 404, description: "Not Found" });
      const token = decodeURIComponent(match[1]!);
      const method = match[2]!;
      const payload = { ...Object.fromEntries(url.searchParams), ...(await readPayload(req)) };
      const at = Date.now();

      const rule = rules.find((r) => r.remaining > 0 && r.predicate(method, payload));
      const handler = custom.get(method) ?? builtins[method];
      try {
        if (rule) {
          rule.remaining--;
          throw new BotApiError(rule.response);
        }
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
    messagesTo: (chatId) =>
      calls
        .filter((c) => c.ok && c.method === "sendMessage" && String(c.payload.chat_id) === String(chatId))
        .map((c) => c.payload),
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
    onCall(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    reset() {
      calls.length = 0;
      rules = [];
      webhookUrl = "";
    },
    close: () =>
      new Promise<void>((resolve) => {
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
