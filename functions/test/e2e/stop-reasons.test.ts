import { describe, expect, it } from "vitest";
import { modelFailureText } from "../../src/agent/model-errors.js";
import { t } from "../../src/i18n/catalogue.js";
import { newChat, post, sentTexts, startFakes, storedConversation, textUpdate } from "../support/e2e.js";
import { useFakes } from "../support/fakes.js";

const { telegram, anthropic } = useFakes(startFakes);

type Msg = { role: string; content: string | { type: string; text?: string }[] };

describe("every turn ends truthfully, through the functions emulator", () => {
  it("a cut answer says it was cut and how to continue; the turn is kept", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "a lot [[long:40000]]"));
    const texts = sentTexts(telegram, chat);
    expect(texts.join("")).toContain(t("en", "agent-cut"));
    expect((await storedConversation(chat))!.turns[0]!.status).toBe("done");
  });

  it("a cut inside a tool call says the step did not run (nothing is saved)", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "save this for me [[stop:max_tokens]]"));
    const [text] = sentTexts(telegram, chat);
    expect(text).toContain("Let me save that note:");
    expect(text).toContain(t("en", "agent-cut-in-tool"));
    expect(anthropic.requestsContaining("save this for me")).toHaveLength(1); // no tool round
  });

  it("a refusal gets a clear message and is not kept: the next request does not resend it", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "something refused [[stop:refusal]]"));
    expect(sentTexts(telegram, chat)).toEqual([t("en", "agent-refused")]);
    expect((await storedConversation(chat))!.turns[0]!.status).toBe("dropped");
    await post(textUpdate(chat, "next question"));
    const next = anthropic.requestsContaining("next question")[0]!;
    expect(JSON.stringify(next.body.messages)).not.toContain("something refused");
    expect((next.body.messages as Msg[]).map((m) => m.role)).toEqual(["user"]);
  });

  it("an over-long context gets a clear message and is not kept", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "too much [[stop:model_context_window_exceeded]]"));
    expect(sentTexts(telegram, chat)).toEqual([t("en", "agent-context-exceeded")]);
    expect((await storedConversation(chat))!.turns[0]!.status).toBe("dropped");
  });

  it("the iteration bound ends with a tool-free request: the answer uses every tool result, all kept", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "forever [[loop]]"));
    const requests = anthropic.requestsContaining("forever");
    expect(requests).toHaveLength(3); // MAX_TOOL_ITERATIONS=3 in .env.demo-test
    expect(requests.at(-1)!.body.tool_choice).toEqual({ type: "none" });
    const [text] = sentTexts(telegram, chat);
    expect(text).toContain("tool result: 2"); // built on the last tool result
    expect(text).toContain("I stopped after");
    const stored = (await storedConversation(chat))!.turns[0]!;
    const results = stored.reply.flatMap((m) =>
      typeof m.content === "string" ? [] : m.content.filter((b) => b.type === "tool_result"),
    );
    expect(results).toHaveLength(2); // every round's results stayed in history
  });

  it("an operator's mistake (billing) tells the user the bot is misconfigured, not to rephrase", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "hello [[error:billing_error:400]]"));
    expect(sentTexts(telegram, chat)).toEqual([modelFailureText("en", "misconfigured")]);
  });
});
