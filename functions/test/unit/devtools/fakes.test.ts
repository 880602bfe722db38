import Anthropic from "@anthropic-ai/sdk";
import { Api, GrammyError } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type FakeAnthropic,
  longText,
  MIN_CACHEABLE_TOKENS,
  startFakeAnthropic,
} from "../../../devtools/fake-anthropic.js";
import { type FakeTelegram, startFakeTelegram } from "../../../devtools/fake-telegram.js";

const TOKEN = "123456:TEST-token_abc";

describe("fake Telegram Bot API", () => {
  let fake: FakeTelegram;
  let api: Api;

  beforeAll(async () => {
    fake = await startFakeTelegram({ port: 0 });
    api = new Api(TOKEN, { apiRoot: fake.url });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it("answers grammY calls and records them", async () => {
    const seen: string[] = [];
    const off = fake.onCall((c) => seen.push(c.method));
    const me = await api.getMe();
    expect(me).toMatchObject({ id: 123456, is_bot: true });
    await api.sendChatAction(42, "typing");
    const first = await api.sendMessage(42, "hello");
    const second = await api.sendMessage(42, "again", { parse_mode: "HTML" });
    off();
    await api.sendMessage(7, "other chat");

    expect(first).toMatchObject({ message_id: 1, chat: { id: 42, type: "private" }, text: "hello" });
    expect(second.message_id).toBe(2);
    expect(fake.calls.map((c) => c.method)).toEqual([
      "getMe",
      "sendChatAction",
      "sendMessage",
      "sendMessage",
      "sendMessage",
    ]);
    expect(seen).toEqual(["getMe", "sendChatAction", "sendMessage", "sendMessage"]);
    expect(fake.calls[0]!.token).toBe(TOKEN);
    expect(fake.callsFor("sendChatAction")[0]!.payload).toMatchObject({ chat_id: 42, action: "typing" });
    expect(fake.messagesTo(42).map((p) => p.text)).toEqual(["hello", "again"]);
    expect(fake.messagesTo(42)[1].parse_mode).toBe("HTML");
    await fake.waitFor((calls) => calls.length === 5, 500);
    await expect(fake.waitFor(() => false, 50)).rejects.toThrow(/not met/);
  });

  it("edits messages and rejects no-op edits like Telegram", async () => {
    const sent = await api.sendMessage(99, "draft");
    const edited = await api.editMessageText(99, sent.message_id, "final");
    expect(edited).toMatchObject({ message_id: sent.message_id, text: "final" });
    await expect(api.editMessageText(99, sent.message_id, "final")).rejects.toThrow(
      /message is not modified/,
    );
    await expect(api.sendMessage(99, "x".repeat(4097))).rejects.toThrow(/message is too long/);
  });

  it("handles webhook and command methods", async () => {
    expect(await api.setWebhook("https://example.com/hook", { secret_token: "s" })).toBe(true);
    expect((await api.getWebhookInfo()).url).toBe("https://example.com/hook");
    expect(await api.setMyCommands([{ command: "start", description: "Start" }])).toBe(true);
    expect(await api.deleteWebhook()).toBe(true);
    expect((await api.getWebhookInfo()).url).toBe("");
    expect(await api.deleteMessage(1, 1)).toBe(true);
  });

  it("injects a 429 with retry_after via failNext", async () => {
    fake.failNext("sendMessage", {
      error_code: 429,
      description: "Too Many Requests: retry after 3",
      parameters: { retry_after: 3 },
    });
    const error = await api.sendMessage(1, "hi").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).error_code).toBe(429);
    expect((error as GrammyError).parameters.retry_after).toBe(3);
    // Only the next call fails; failed calls are recorded but not counted as delivered.
    await api.sendMessage(1, "hi");
    expect(fake.callsFor("sendMessage").map((c) => c.ok)).toEqual([false, true]);
    expect(fake.messagesTo(1)).toHaveLength(1);
  });

  it("fails by rule, e.g. HTML that Telegram cannot parse", async () => {
    const remove = fake.failWhen((method, p) => method === "sendMessage" && p.parse_mode === "HTML", {
      error_code: 400,
      description: "Bad Request: can't parse entities: Unsupported start tag",
    });
    await expect(api.sendMessage(5, "<b>x", { parse_mode: "HTML" })).rejects.toThrow(/can't parse entities/);
    await expect(api.sendMessage(5, "<b>x", { parse_mode: "HTML" })).rejects.toThrow(/can't parse entities/);
    await api.sendMessage(5, "<b>x");
    remove();
    await api.sendMessage(5, "<b>ok</b>", { parse_mode: "HTML" });
    expect(fake.messagesTo(5).map((p) => p.parse_mode)).toEqual([undefined, "HTML"]);
  });

  it("answers unknown methods with 404 and accepts form-encoded bodies", async () => {
    const error = await api.raw.getChatMenuButton({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).description).toBe("Not Found: method not found");
    const res = await fetch(`${fake.url}/bot${TOKEN}/sendMessage`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ chat_id: "77", text: "form", reply_markup: '{"inline_keyboard":[]}' }),
    });
    expect(await res.json()).toMatchObject({ ok: true, result: { chat: { id: 77 }, text: "form" } });
    expect(fake.messagesTo(77)[0].reply_markup).toEqual({ inline_keyboard: [] });
    const form = new FormData();
    form.append("chat_id", "78");
    form.append("caption", "multi");
    form.append("document", new Blob(["abc"]), "a.txt");
    const multipart = await fetch(`${fake.url}/bot${TOKEN}/sendDocument`, { method: "POST", body: form });
    expect(multipart.status).toBe(404);
    expect(fake.callsFor("sendDocument")[0]!.payload).toEqual({
      chat_id: "78",
      caption: "multi",
      document: { filename: "a.txt", size: 3 },
    });
  });

  it("serves registered files through getFile and the file endpoint, like the Bot API", async () => {
    const bytes = new Uint8Array(200_000).map((_, i) => i % 251);
    const file = fake.addFile(bytes, { mime: "application/pdf", name: "report.pdf" });
    expect(file).toMatchObject({
      file_size: 200_000,
      file_path: expect.stringMatching(/^documents\/file_\d+\.pdf$/),
    });
    expect(await api.getFile(file.file_id)).toEqual({
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      file_size: 200_000,
      file_path: file.file_path,
    });
    const res = await fetch(`${fake.url}/file/bot${TOKEN}/${file.file_path}`);
    expect(res.headers.get("content-length")).toBe("200000");
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    expect(fake.downloads).toEqual([
      { path: file.file_path, token: TOKEN, status: 200, bytesSent: 200_000, aborted: false },
    ]);

    // The same file sent again: a new file_id, the same file_unique_id.
    const again = fake.addFile(bytes, { uniqueId: file.file_unique_id });
    expect(again.file_id).not.toBe(file.file_id);
    expect(again.file_unique_id).toBe(file.file_unique_id);

    await expect(api.getFile("nope")).rejects.toThrow(/invalid file_id/);
    const big = fake.addFile(new Uint8Array(20 * 1024 * 1024 + 1));
    await expect(api.getFile(big.file_id)).rejects.toThrow(/file is too big/);
    expect((await fetch(`${fake.url}/file/bot${TOKEN}/documents/none.bin`)).status).toBe(404);

    fake.reset();
    expect(fake.downloads).toEqual([]);
    expect((await api.getFile(file.file_id)).file_path).toBe(file.file_path);
  });

  it("serves a stalled body until released, and a chunked one without Content-Length", async () => {
    const bytes = new Uint8Array(100_000).fill(7);
    const stalled = fake.addFile(bytes, { stallAfter: 10_000, chunked: true, reportedSize: null });
    expect(await api.getFile(stalled.file_id)).not.toHaveProperty("file_size");
    const res = await fetch(`${fake.url}/file/bot${TOKEN}/${stalled.file_path}`);
    expect(res.headers.get("content-length")).toBeNull();
    const reader = res.body!.getReader();
    let got = 0;
    while (got < 10_000) got += (await reader.read()).value!.byteLength;
    expect(got).toBe(10_000);
    stalled.release();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got += value.byteLength;
    }
    expect(got).toBe(100_000);
  });
});

describe("fake Anthropic Messages API", () => {
  let fake: FakeAnthropic;
  let client: Anthropic;
  const base = { model: "claude-test", max_tokens: 4096 } as const;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0, label: "[t] " });
    client = new Anthropic({ baseURL: fake.url, apiKey: "x", maxRetries: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it("echoes the last user text (non-stream)", async () => {
    const msg = await client.messages.create({
      ...base,
      system: "be brief",
      messages: [
        { role: "user", content: "old" },
        { role: "assistant", content: "ok" },
        {
          role: "user",
          content: [
            { type: "text", text: "hello" },
            { type: "text", text: "world" },
          ],
        },
      ],
    });
    expect(msg.content).toEqual([{ type: "text", text: "[t] echo: hello\nworld" }]);
    expect(msg.stop_reason).toBe("end_turn");
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    expect(msg.usage.output_tokens).toBe(Math.ceil("[t] echo: hello\nworld".length / 4));
    expect(fake.requests).toHaveLength(1);
    const { headers } = fake.requests[0]!;
    expect(headers["x-api-key"] ?? headers.authorization).toMatch(/^(Bearer )?x$/);
    expect(fake.requestsContaining("world")).toHaveLength(1);
    expect(fake.requestsContaining("old")).toHaveLength(0);
  });

  it("streams SSE the SDK accumulates into the same message", async () => {
    const events: string[] = [];
    const stream = client.messages.stream({ ...base, messages: [{ role: "user", content: "streamed hi" }] });
    stream.on("streamEvent", (e) => events.push(e.type));
    const msg = await stream.finalMessage();
    expect(msg.content).toEqual([{ type: "text", text: "[t] echo: streamed hi" }]);
    expect(msg.stop_reason).toBe("end_turn");
    expect(events[0]).toBe("message_start");
    expect(events).toContain("content_block_delta");
    expect(events.at(-1)).toBe("message_stop");
    expect(fake.requests[0]!.body.stream).toBe(true);
  });

  it("[[hold-end:KEY]] streams the whole text, then ends only after release(KEY)", async () => {
    const events: string[] = [];
    const stream = client.messages.stream({
      ...base,
      messages: [{ role: "user", content: "[[long:200]] [[hold-end:tale]]" }],
    });
    stream.on("streamEvent", (e) => events.push(e.type));
    const text = new Promise<void>((resolve) =>
      stream.on("streamEvent", (e) => e.type === "content_block_stop" && resolve()),
    );
    await text; // every delta arrived…
    expect(events).not.toContain("message_delta"); // …and the message has not ended
    fake.release("tale");
    const msg = await stream.finalMessage();
    expect(msg.content).toMatchObject([{ type: "text", text: expect.stringContaining(longText(200)) }]);
    expect(events.at(-1)).toBe("message_stop");
  });

  it("runs a tool_use round trip, streamed and not", async () => {
    const tools = [{ name: "lookup", description: "d", input_schema: { type: "object" as const } }];
    const user = { role: "user" as const, content: 'find it [[tool:lookup {"q":"a]b","n":{"x":1}}]]' };
    const first = await client.messages.stream({ ...base, tools, messages: [user] }).finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const call = first.content[0];
    if (call?.type !== "tool_use") throw new Error("expected tool_use");
    expect(call).toMatchObject({ name: "lookup", input: { q: "a]b", n: { x: 1 } } });
    expect(call.id).toMatch(/^toolu_/);

    const second = await client.messages.create({
      ...base,
      tools,
      messages: [
        user,
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "42 found" }] },
      ],
    });
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content).toEqual([{ type: "text", text: "[t] tool result: 42 found" }]);
    // The original prompt still matches while mid-tool.
    expect(fake.requestsContaining("find it")).toHaveLength(2);

    // A tool_result that doesn't answer the previous tool_use is rejected like the real API does.
    const bad = await client.messages
      .create({
        ...base,
        messages: [
          user,
          { role: "assistant", content: first.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_wrong", content: "x" }] },
        ],
      })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it("keeps calling the calculator under [[loop]]", async () => {
    const msg = await client.messages.create({ ...base, messages: [{ role: "user", content: "[[loop]]" }] });
    expect(msg.content[0]).toMatchObject({
      type: "tool_use",
      name: "calculator",
      input: { expression: "1+1" },
    });
  });

  it("fails with the requested status in the real error shape", async () => {
    const error = await client.messages
      .create({ ...base, messages: [{ role: "user", content: "boom [[fail:529]]" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(529);
    expect(apiError.requestID).toMatch(/^req_/);
    expect((apiError.error as { error: { type: string } }).error.type).toBe("overloaded_error");

    const stream = client.messages.stream({
      ...base,
      messages: [{ role: "user", content: "x [[fail:529]]" }],
    });
    await expect(stream.finalMessage()).rejects.toMatchObject({ status: 529 });
  });

  it("fails once, then succeeds for the same text", async () => {
    const messages = [{ role: "user" as const, content: "flaky [[fail-once:500]]" }];
    await expect(client.messages.create({ ...base, messages })).rejects.toMatchObject({ status: 500 });
    const msg = await client.messages.create({ ...base, messages });
    expect(msg.content[0]).toMatchObject({ text: "[t] echo: flaky [[fail-once:500]]" });
  });

  it("produces long multi-paragraph text of about N chars and honours max_tokens", async () => {
    const msg = await client.messages.create({
      ...base,
      messages: [{ role: "user", content: "[[long:9000]]" }],
    });
    const block = msg.content[0];
    if (block?.type !== "text") throw new Error("expected text");
    expect(block.text.length).toBeGreaterThan(8900);
    expect(block.text.length).toBeLessThanOrEqual(9000 + "[t] ".length);
    expect(block.text).toContain("\n\n");
    expect(block.text.split("\n").every((line) => line.length < 100)).toBe(true);
    expect(longText(50).length).toBeLessThanOrEqual(50);

    const cut = await client.messages.create({
      ...base,
      max_tokens: 10,
      messages: [{ role: "user", content: "[[long:9000]]" }],
    });
    expect(cut.stop_reason).toBe("max_tokens");
  });

  it("reports cache reads for a repeated cached system prompt", async () => {
    const system = [
      { type: "text" as const, text: "long rules", cache_control: { type: "ephemeral" as const } },
    ];
    const ask = () => client.messages.create({ ...base, system, messages: [{ role: "user", content: "q" }] });
    const a = await ask();
    const b = await ask();
    expect(a.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(a.usage.cache_read_input_tokens).toBe(0);
    expect(b.usage.cache_read_input_tokens).toBeGreaterThan(0);
  });

  it("applies [[slow:MS]] and delayMs", async () => {
    fake.delayMs = 30;
    const started = Date.now();
    await client.messages.create({ ...base, messages: [{ role: "user", content: "[[slow:60]]" }] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(85);
    fake.delayMs = 0;
  });
});

describe("fake Anthropic autoTools (the dev console's offline stand-in)", () => {
  it("sends arithmetic to the calculator and time questions to current_time, when offered", async () => {
    const fake = await startFakeAnthropic({ autoTools: true });
    const client = new Anthropic({ baseURL: fake.url, apiKey: "x", maxRetries: 0 });
    const tools = ["calculator", "current_time"].map((name) => ({
      name,
      input_schema: { type: "object" as const, properties: {} },
    }));
    const ask = (text: string, offered = tools) =>
      client.messages.create({
        model: "m",
        max_tokens: 100,
        tools: offered,
        messages: [{ role: "user", content: text }],
      });
    try {
      const math = await ask("what is (2+3)*4?");
      expect(math.stop_reason).toBe("tool_use");
      expect(math.content[0]).toMatchObject({ name: "calculator", input: { expression: "(2+3)*4" } });
      const time = await ask("What time is it?");
      expect(time.content[0]).toMatchObject({ name: "current_time" });
      const plain = await ask("hello there");
      expect(plain.content[0]).toMatchObject({ type: "text", text: "echo: hello there" });
      const notOffered = await ask("1+1", []);
      expect(notOffered.stop_reason).toBe("end_turn");
    } finally {
      await fake.close();
    }
  });
});

describe("fake Anthropic: stop reasons, server tools, pause_turn, typed errors", () => {
  let fake: FakeAnthropic;
  let client: Anthropic;
  const base = { model: "claude-test", max_tokens: 4096 } as const;
  const webSearch = [{ type: "web_search_20250305" as const, name: "web_search" as const, max_uses: 3 }];
  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0 });
    client = new Anthropic({ baseURL: fake.url, apiKey: "x", maxRetries: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());
  const ask = (content: string, extra: object = {}) =>
    client.messages.create({ ...base, messages: [{ role: "user", content }], ...extra });

  it("[[stop:…]] answers with that stop reason; max_tokens cuts inside a tool_use block", async () => {
    expect((await ask("[[stop:refusal]]")).stop_reason).toBe("refusal");
    expect((await ask("[[stop:model_context_window_exceeded]]")).stop_reason).toBe(
      "model_context_window_exceeded",
    );
    const cut = await ask("[[stop:max_tokens]]");
    expect(cut.stop_reason).toBe("max_tokens");
    expect(cut.content.map((b) => b.type)).toEqual(["text", "tool_use"]);
    const empty = await ask("[[empty]]");
    expect(empty).toMatchObject({ content: [], stop_reason: "end_turn" });
  });

  it("tool_choice none: no tool call whatever the directives", async () => {
    const msg = await ask("[[loop]] [[tool:calculator]]", {
      tools: [{ name: "calculator", input_schema: { type: "object" } }],
      tool_choice: { type: "none" },
    });
    expect(msg.stop_reason).toBe("end_turn");
    expect(msg.content[0]!.type).toBe("text");
  });

  it("[[rounds:N]] asks for the same tools N times before answering", async () => {
    const tools = [{ name: "calculator", input_schema: { type: "object" as const } }];
    const messages: Anthropic.MessageParam[] = [
      { role: "user", content: "[[tool:calculator]] [[rounds:2]]" },
    ];
    for (let i = 0; i < 2; i++) {
      const msg = await client.messages.create({ ...base, tools, messages });
      expect(msg.stop_reason).toBe("tool_use");
      const call = msg.content[0] as Anthropic.ToolUseBlock;
      messages.push({ role: "assistant", content: msg.content });
      messages.push({
        role: "user",
        content: [{ type: "tool_result", tool_use_id: call.id, content: `r${i}` }],
      });
    }
    const last = await client.messages.create({ ...base, tools, messages });
    expect(last.content[0]).toMatchObject({ type: "text", text: "tool result: r1" });
  });

  it("[[search:q]] returns a server-side search and a cited answer, counted in usage; streamed too", async () => {
    const msg = await ask("[[search:grammy]]", { tools: webSearch });
    expect(msg.content.map((b) => b.type)).toEqual([
      "server_tool_use",
      "web_search_tool_result",
      "text",
      "text",
    ]);
    expect(msg.usage.server_tool_use?.web_search_requests).toBe(1);
    const cited = msg.content[3] as Anthropic.TextBlock;
    expect(cited.citations?.[0]).toMatchObject({
      type: "web_search_result_location",
      url: expect.stringMatching(/^https:/),
    });
    const streamed = await client.messages
      .stream({ ...base, tools: webSearch, messages: [{ role: "user", content: "[[search:grammy]]" }] })
      .finalMessage();
    expect(JSON.parse(JSON.stringify(streamed.content))).toEqual(
      JSON.parse(JSON.stringify(msg.content)).map((b: Record<string, unknown>) =>
        b.type === "server_tool_use"
          ? { ...b, id: expect.any(String) }
          : b.type === "web_search_tool_result"
            ? { ...b, tool_use_id: expect.any(String) }
            : b,
      ),
    );
    // Not offered: no search, no citation.
    const plain = await ask("[[search:grammy]]");
    expect(plain.usage.server_tool_use).toBeUndefined();
    expect(plain.content).toEqual([{ type: "text", text: "echo: [[search:grammy]]" }]);
  });

  it("[[pause:N]] pauses N times, then answers the continuation; a lone server_tool_use is rejected", async () => {
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "[[pause:2]] news" }];
    const first = await client.messages.create({ ...base, tools: webSearch, messages });
    expect(first.stop_reason).toBe("pause_turn");
    messages.push({ role: "assistant", content: first.content });
    const second = await client.messages.create({ ...base, tools: webSearch, messages });
    expect(second.stop_reason).toBe("pause_turn");
    messages[1] = { role: "assistant", content: [...first.content, ...second.content] };
    const done = await client.messages.create({ ...base, tools: webSearch, messages });
    expect(done.stop_reason).toBe("end_turn");
    const lone = [{ type: "server_tool_use" as const, id: "srv_1", name: "web_search" as const, input: {} }];
    const bad = await client.messages
      .create({
        ...base,
        messages: [
          ...messages.slice(0, 1),
          { role: "assistant", content: lone },
          { role: "user", content: "x" },
        ],
      })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it("[[error:TYPE(:STATUS(:CODE))]] answers the API's error body", async () => {
    const err = (await ask("[[error:rate_limit:429:enforced_spend_limit_reached]]").catch(
      (e: unknown) => e,
    )) as InstanceType<typeof Anthropic.APIError>;
    expect(err.status).toBe(429);
    expect(err.type).toBe("rate_limit_error");
    expect(err.errorCode).toBe("enforced_spend_limit_reached");
  });
});

describe("fake Anthropic prompt-cache simulation", () => {
  let fake: FakeAnthropic;
  let client: Anthropic;
  let clock = 0;
  const mark = { type: "ephemeral" as const };
  const text = (t: string, cached = false): Anthropic.TextBlockParam => ({
    type: "text",
    text: t,
    ...(cached ? { cache_control: mark } : {}),
  });
  const question = (i: number) => ({
    role: "user" as const,
    content: [text(`question ${i} ${"q".repeat(400)}`)],
  });
  const turn = (i: number) => [
    question(i),
    { role: "assistant" as const, content: [text(`answer ${i} ${"a".repeat(400)}`)] },
  ];
  /** A conversation of n turns plus a new question; the breakpoint on the last block unless told. */
  const conversation = (n: number, marks: number[] | "last" = "last") => {
    const messages: Anthropic.MessageParam[] = [];
    for (let i = 0; i < n; i++) messages.push(...turn(i));
    messages.push(question(n));
    const at = marks === "last" ? [messages.length - 1] : marks;
    return messages.map((m, i) =>
      at.includes(i)
        ? {
            ...m,
            content: (m.content as Anthropic.TextBlockParam[]).map((b) => ({ ...b, cache_control: mark })),
          }
        : m,
    );
  };
  const ask = (messages: Anthropic.MessageParam[], extra: object = {}) =>
    client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 10,
      system: [text("rules", true)],
      messages,
      ...extra,
    });

  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0, promptCaching: { now: () => clock, minTokens: () => 300 } });
    client = new Anthropic({ baseURL: fake.url, apiKey: "x", maxRetries: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = 0;
  });

  it("writes at a breakpoint, then reads the matching prefix; usage adds up to the whole prompt", async () => {
    const a = await ask(conversation(2));
    expect(a.usage.cache_read_input_tokens).toBe(0);
    expect(a.usage.cache_creation_input_tokens).toBeGreaterThan(300);
    const b = await ask(conversation(3));
    expect(b.usage.cache_read_input_tokens).toBeGreaterThan(0);
    expect(b.usage.cache_read_input_tokens).toBe(a.usage.cache_creation_input_tokens); // all a wrote
    expect(b.usage.cache_creation_input_tokens).toBeGreaterThan(0); // b's new blocks, for the next one
    const total = (u: Anthropic.Usage) =>
      u.input_tokens + u.cache_read_input_tokens! + u.cache_creation_input_tokens!;
    const count = await client.messages.countTokens({
      model: "claude-sonnet-4-6",
      system: [text("rules")],
      messages: conversation(3, []),
    });
    expect(total(b.usage)).toBe(count.input_tokens);
  });

  it("prefixes under the model's minimum are not cached, silently", async () => {
    const small = await ask([{ role: "user", content: [text("hi", true)] }]);
    expect(small.usage).toMatchObject({ cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    expect(MIN_CACHEABLE_TOKENS["claude-sonnet-4-6"]).toBe(2048);
    expect(MIN_CACHEABLE_TOKENS["claude-haiku-4-5"]).toBe(4096);
  });

  it("the lookback reaches 20 blocks back from a breakpoint, no further", async () => {
    await ask(conversation(2)); // writes up to question 2 (block 4 of messages)
    // 9 more turns: the old end is 19 message blocks back from the new last block → hit.
    const near = await ask(conversation(11));
    expect(near.usage.cache_read_input_tokens).toBeGreaterThan(0);
    fake.reset();
    await ask(conversation(2));
    const far = await ask(conversation(12));
    expect(far.usage.cache_read_input_tokens).toBe(0);
  });

  it("entries live 5 minutes from their last use", async () => {
    await ask(conversation(2));
    clock += 4 * 60_000;
    expect((await ask(conversation(2))).usage.cache_read_input_tokens).toBeGreaterThan(0); // refreshed
    clock += 4 * 60_000;
    expect((await ask(conversation(2))).usage.cache_read_input_tokens).toBeGreaterThan(0);
    clock += 5 * 60_000 + 1;
    expect((await ask(conversation(2))).usage.cache_read_input_tokens).toBe(0);
  });

  it("a tool_choice change misses the message part only; more than 4 breakpoints is a 400", async () => {
    const tools = [{ name: "t", description: "d".repeat(1400), input_schema: { type: "object" as const } }];
    const withTools = (extra: object) =>
      ask(conversation(2), { tools, ...extra, system: [text("rules", true)] });
    const a = await withTools({});
    const b = await withTools({ tool_choice: { type: "none" } });
    expect(b.usage.cache_read_input_tokens).toBeGreaterThan(0); // tools + system
    expect(b.usage.cache_read_input_tokens).toBeLessThan(a.usage.cache_creation_input_tokens!);
    const five = await ask(conversation(3, [0, 1, 2, 3, 4])).catch((e: unknown) => e);
    expect(five).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it("a top-level cache_control caches up to the last block (automatic caching)", async () => {
    await ask(conversation(2, []), { cache_control: mark });
    const again = await ask(conversation(2, []), { cache_control: mark });
    expect(again.usage.cache_read_input_tokens).toBeGreaterThan(300);
    expect(again.usage.input_tokens).toBe(0);
  });
});

describe("fake Telegram: formatting, drafts, rich messages, flood limit", () => {
  let fake: FakeTelegram;
  let api: Api;

  beforeAll(async () => {
    fake = await startFakeTelegram({ port: 0 });
    api = new Api(TOKEN, { apiRoot: fake.url });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  const status = (p: Promise<unknown>) =>
    p.then(
      () => 200,
      (e: unknown) => (e instanceof GrammyError ? `${e.error_code} ${e.description}` : String(e)),
    );

  it("HTML parse mode is parsed like Telegram: unbalanced or unknown tags are refused, limits count visible text", async () => {
    expect(await status(api.sendMessage(5, "<b>x", { parse_mode: "HTML" }))).toMatch(
      /^400 Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"/,
    );
    expect(await status(api.sendMessage(5, "<b><i>x</b></i>", { parse_mode: "HTML" }))).toMatch(
      /^400 .*Unmatched end tag/,
    );
    expect(await status(api.sendMessage(5, "<h1>x</h1>", { parse_mode: "HTML" }))).toMatch(
      /^400 .*Unsupported start tag "h1"/,
    );
    expect(await status(api.sendMessage(5, "<b></b>", { parse_mode: "HTML" }))).toMatch(
      /message text is empty/,
    );
    // 4096 visible characters in far more HTML are fine; 4097 are not.
    const visible = "&amp;".repeat(4096);
    expect(await status(api.sendMessage(5, `<b>${visible}</b>`, { parse_mode: "HTML" }))).toBe(200);
    expect(await status(api.sendMessage(5, `<b>${visible}x</b>`, { parse_mode: "HTML" }))).toMatch(
      /too long/,
    );
    expect(await status(api.sendMessage(5, "1 < 2 & <b>", {}))).toBe(200); // no parse mode: literal
  });

  it("drafts: private chats only, draft_id non-zero, 0-4096 characters, recorded per chat", async () => {
    expect(await status(api.sendMessageDraft(7, 1, ""))).toBe(200); // empty shows "Thinking…"
    expect(await status(api.sendMessageDraft(7, 1, "<i>partial</i>", { parse_mode: "HTML" }))).toBe(200);
    expect(await status(api.sendMessageDraft(-1001, 1, "x"))).toMatch(/^400 .*only to private chats/);
    expect(await status(api.sendMessageDraft(7, 0, "x"))).toMatch(/^400 .*draft_id must be non-zero/);
    expect(await status(api.sendMessageDraft(7, 1, "<b>x", { parse_mode: "HTML" }))).toMatch(
      /can't parse entities/,
    );
    expect(await status(api.sendMessageDraft(7, 1, "x".repeat(4097)))).toMatch(/too long/);
    expect(await status(api.sendRichMessageDraft(7, 2, { markdown: "**a**" }))).toBe(200);
    expect(fake.draftsTo(7).map((c) => c.method)).toEqual([
      "sendMessageDraft",
      "sendMessageDraft",
      "sendRichMessageDraft",
    ]);
    expect(fake.messagesTo(7)).toEqual([]); // a draft is not a message
  });

  it("rich messages: exactly one source, non-empty, within the documented limits", async () => {
    expect(
      await status(api.sendRichMessage(-1001, { markdown: "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |" })),
    ).toBe(200);
    expect(fake.richMessagesTo(-1001)[0].rich_message.markdown).toMatch(/^# Title/);
    expect(await status(api.sendRichMessage(5, { markdown: "x", html: "<b>x</b>" }))).toMatch(/exactly one/);
    expect(await status(api.sendRichMessage(5, { markdown: "  " }))).toMatch(/non-empty/);
    expect(await status(api.sendRichMessage(5, { markdown: "x".repeat(32769) }))).toMatch(
      /RICH_MESSAGE_TOO_LONG/,
    );
    expect(await status(api.sendRichMessage(5, { markdown: "- a\n".repeat(501) }))).toMatch(
      /TOO_MANY_BLOCKS/,
    );
    expect(await status(api.sendRichMessage(5, { markdown: `|${" c |".repeat(21)}` }))).toMatch(
      /TABLE_TOO_WIDE/,
    );
  });

  it("a per-chat flood limit answers 429 with retry_after until the window has room again", async () => {
    let now = 1_000_000;
    fake.rateLimit({ perChat: 2, windowMs: 1000, now: () => now });
    expect(await status(api.sendMessageDraft(7, 1, "a"))).toBe(200);
    expect(await status(api.sendMessageDraft(7, 1, "ab"))).toBe(200);
    const limited = await api.sendMessageDraft(7, 1, "abc").catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(GrammyError);
    expect((limited as GrammyError).error_code).toBe(429);
    expect((limited as GrammyError).parameters.retry_after).toBe(1);
    expect(await status(api.sendMessageDraft(8, 1, "other chat"))).toBe(200);
    expect(await status(api.sendChatAction(7, "typing"))).toBe(200); // not a chat write
    now += 1000;
    expect(await status(api.sendMessage(7, "final"))).toBe(200);
    fake.rateLimit(null);
    expect(await status(api.sendMessage(7, "x"))).toBe(200);
    expect(await status(api.sendMessage(7, "y"))).toBe(200);
    expect(await status(api.sendMessage(7, "z"))).toBe(200);
  });
});
