import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import type { CreateMessage } from "../../../src/agent/loop.js";
import { WEB_SEARCH_USD_PER_SEARCH } from "../../../src/agent/pricing.js";
import { SessionSchema } from "../../../src/state/schemas.js";
import { inProcessApp, randomPortFakes, request } from "../../support/app.js";
import { textUpdate } from "../../support/e2e.js";
import { useFakes } from "../../support/fakes.js";
import { emulatorClient, uid, uniquePrefix } from "../../support/firestore.js";

const { telegram, anthropic } = useFakes(randomPortFakes);

/** The real SDK against the fake, keeping every response as the SDK returned it. */
function recordingModel(baseURL: string) {
  const client = new Anthropic({ apiKey: "test-key", baseURL, maxRetries: 0 });
  const responses: Anthropic.Message[] = [];
  const createMessage: CreateMessage = async (params, options) => {
    const message = await client.messages.create(params, options);
    responses.push(message);
    return message;
  };
  return { createMessage, responses };
}

async function skills(prefix: string, docs: Record<string, Record<string, unknown>>) {
  const db = emulatorClient();
  await Promise.all(
    Object.entries(docs).map(([id, doc]) => db.collection(`${prefix}skills`).doc(id).set(doc)),
  );
}

const stripMarks = (v: unknown) =>
  JSON.parse(JSON.stringify(v, (k, x) => (k === "cache_control" ? undefined : x))) as unknown;
const toolNames = (i: number) =>
  ((anthropic.requests[i]!.body.tools ?? []) as { name: string }[]).map((t) => t.name);

describe("web search (in process)", () => {
  it("a searching skill: server blocks round-trip into the next request unchanged, citations become links, searches are billed", async () => {
    const prefix = uniquePrefix();
    await skills(prefix, {
      assistant: { name: "Assistant", systemPrompt: "You help.", webSearch: true },
    });
    const model = recordingModel(anthropic.url);
    const app = await inProcessApp(
      { telegram, anthropic },
      { prefix, createMessage: model.createMessage, config: { WEB_SEARCH_MAX_USES: 2 } },
    );
    const user = uid();
    await app.webhook(request(textUpdate(user, "what is new? [[search:grammy]]")));
    const offered = (
      anthropic.requests[0]!.body.tools as { type?: string; name: string; max_uses?: number }[]
    ).find((t) => t.name === "web_search");
    expect(offered).toMatchObject({ type: "web_search_20250305", max_uses: 2 });

    const [reply] = telegram.messagesTo(user);
    expect(reply.parse_mode).toBe("HTML");
    expect(reply.text).toContain('<a href="https://example.com/search/grammy">Result for grammy</a>');

    await app.webhook(request(textUpdate(user, "thanks")));
    const first = model.responses[0]!;
    expect(first.content.map((b) => b.type)).toEqual([
      "server_tool_use",
      "web_search_tool_result",
      "text",
      "text",
    ]);
    const history = anthropic.requests[1]!.body.messages as { role: string; content: unknown }[];
    expect(history.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    // Byte for byte what the API sent (cache breakpoints aside): ids, encrypted content, citations.
    expect(stripMarks(history[1]!.content)).toEqual(JSON.parse(JSON.stringify(first.content)));

    const snap = await emulatorClient().collection(`${prefix}sessions`).doc(String(user)).get();
    const usage = SessionSchema.parse(snap.data()).usage;
    expect(usage.webSearchRequests).toBe(1);
    const turns = app.lines.filter((l) => l.message === "turn").map((l) => l.tokens as { costUsd: number });
    expect(turns[0]!.costUsd).toBeGreaterThan(WEB_SEARCH_USD_PER_SEARCH);
    expect(usage.costUsd).toBeCloseTo(turns[0]!.costUsd + turns[1]!.costUsd, 9);
  });

  it("off unless both the skill asks for it and WEB_SEARCH_MAX_USES > 0", async () => {
    const prefix = uniquePrefix();
    await skills(prefix, {
      assistant: { name: "Assistant", systemPrompt: "You help." },
      researcher: { name: "Researcher", systemPrompt: "You research.", webSearch: true },
    });
    const on = await inProcessApp({ telegram, anthropic }, { prefix, config: { WEB_SEARCH_MAX_USES: 3 } });
    const off = await inProcessApp({ telegram, anthropic }, { prefix });
    const user = uid();
    await on.webhook(request(textUpdate(user, "plain skill [[search:x]]")));
    expect(toolNames(0)).not.toContain("web_search");
    expect(telegram.messagesTo(user).at(-1)!.text).toBe("echo: plain skill [[search:x]]");
    await on.webhook(request(textUpdate(user, "/skill researcher")));
    await on.webhook(request(textUpdate(user, "searching [[search:x]]")));
    expect(toolNames(1)).toContain("web_search");
    const other = uid();
    await off.webhook(request(textUpdate(other, "/skill researcher")));
    await off.webhook(request(textUpdate(other, "not searching [[search:x]]")));
    expect(toolNames(2)).not.toContain("web_search");
  });
});
