import Anthropic from "@anthropic-ai/sdk";
import { Api, GrammyError } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, longText, startFakeAnthropic } from "../../../src/devtools/fake-anthropic.js";
import { type FakeTelegram, startFakeTelegram } from "../../../src/devtools/fake-telegram.js";

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
