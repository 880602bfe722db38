import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../../../devtools/fake-anthropic.js";
import { AgentError, emptyUsage } from "../../../src/agent/agent-error.js";
import {
  classifyModelError,
  describeModelError,
  MISCONFIGURED_LOG_MESSAGE,
  type ModelFailure,
  modelFailureText,
  reportMisconfiguration,
} from "../../../src/agent/model-errors.js";
import { LOCALES } from "../../../src/i18n/locale.js";
import { captureLogs } from "../../support/logs.js";

const apiError = (status: number, type?: string, code?: string) =>
  Anthropic.APIError.generate(
    status,
    type
      ? { type: "error", error: { type, message: "m", ...(code ? { details: { error_code: code } } : {}) } }
      : undefined,
    "m",
    new Headers({ "request-id": "req_1" }),
  );

describe("classifyModelError: by the body's error type, then the status", () => {
  it.each([
    [400, "invalid_request_error", "misconfigured"], // bad params, max_tokens over the model's limit
    [400, "billing_error", "misconfigured"], // credit balance too low
    [402, "billing_error", "misconfigured"],
    [401, "authentication_error", "misconfigured"],
    [403, "permission_error", "misconfigured"],
    [404, "not_found_error", "misconfigured"], // unknown model id
    [413, "request_too_large", "rejected"],
    [429, "rate_limit_error", "rate_limited"],
    [500, "api_error", "unavailable"],
    [504, "timeout_error", "timeout"],
    [529, "overloaded_error", "overloaded"],
  ])("HTTP %i %s → %s", (status, type, kind) =>
    expect(classifyModelError(apiError(status, type))).toBe(kind),
  );

  it.each([
    [400, "misconfigured"],
    [401, "misconfigured"],
    [404, "misconfigured"],
    [413, "rejected"],
    [418, "rejected"],
    [429, "rate_limited"],
    [502, "unavailable"],
    [504, "timeout"],
    [529, "overloaded"],
  ])("HTTP %i with no typed body → %s", (status, kind) =>
    expect(classifyModelError(apiError(status))).toBe(kind),
  );

  it("a 429 for a spend limit is the operator's, not a wait", () => {
    const e = apiError(429, "rate_limit_error", "enforced_spend_limit_reached");
    expect(describeModelError(e)).toMatchObject({
      failure: "misconfigured",
      cause: "rate_limit_error/enforced_spend_limit_reached",
      status: 429,
      requestId: "req_1",
    });
  });

  it("connection problems, aborts, AgentError wrapping, and bugs", () => {
    expect(classifyModelError(new Anthropic.APIConnectionTimeoutError())).toBe("timeout");
    expect(classifyModelError(new Anthropic.APIConnectionError({ message: "x" }))).toBe("unavailable");
    expect(classifyModelError(new Anthropic.APIUserAbortError())).toBe("timeout");
    expect(classifyModelError(new AgentError(apiError(529, "overloaded_error"), emptyUsage(), 1, "m"))).toBe(
      "overloaded",
    );
    expect(classifyModelError(new TypeError("bug"))).toBeNull();
  });

  it("user texts carry no internals, in any language, and 'misconfigured' does not send the user to /reset", () => {
    const failures: ModelFailure[] = [
      "rate_limited",
      "overloaded",
      "timeout",
      "unavailable",
      "misconfigured",
      "rejected",
    ];
    for (const locale of LOCALES) {
      for (const failure of failures) {
        expect(modelFailureText(locale, failure)).not.toMatch(/Error|\d{3}|\{/);
      }
      expect(modelFailureText(locale, "misconfigured")).not.toMatch(/\/reset/);
    }
    expect(modelFailureText("en", "misconfigured")).toMatch(/operator has been told/);
    expect(modelFailureText("en", "misconfigured")).not.toMatch(/rephras|reset/);
    expect(modelFailureText("es", "timeout")).toMatch(/^Tardé demasiado/);
  });
});

describe("reportMisconfiguration: the ERROR line ops alert on, once per cause per process", () => {
  it("logs once per cause and says whether the error is the operator's", () => {
    const { log, lines } = captureLogs();
    const seen = new Set<string>();
    expect(reportMisconfiguration(log, apiError(400, "billing_error"), seen)).toBe(true);
    expect(reportMisconfiguration(log, apiError(400, "billing_error"), seen)).toBe(true);
    expect(reportMisconfiguration(log, apiError(401, "authentication_error"), seen)).toBe(true);
    expect(reportMisconfiguration(log, apiError(529, "overloaded_error"), seen)).toBe(false);
    const alerts = lines.filter((l) => l.message === MISCONFIGURED_LOG_MESSAGE);
    expect(alerts.map((l) => [l.severity, l.cause])).toEqual([
      ["ERROR", "billing_error"],
      ["ERROR", "authentication_error"],
    ]);
    expect(alerts[0]).toMatchObject({ status: 400, request_id: "req_1" });
  });
});

describe("typed errors from the fake Messages API, through the real SDK", () => {
  let fake: FakeAnthropic;
  let client: Anthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0 });
    client = new Anthropic({ baseURL: fake.url, apiKey: "x", maxRetries: 0 });
  });
  afterAll(() => fake.close());

  it.each([
    ["[[error:billing]]", 402, "billing_error", "misconfigured"],
    ["[[error:invalid_request]]", 400, "invalid_request_error", "misconfigured"],
    ["[[error:billing_error:400]]", 400, "billing_error", "misconfigured"],
    ["[[error:not_found]]", 404, "not_found_error", "misconfigured"],
    ["[[error:rate_limit:429:enforced_spend_limit_reached]]", 429, "rate_limit_error", "misconfigured"],
    ["[[error:overloaded]]", 529, "overloaded_error", "overloaded"],
  ])("%s → HTTP %i %s → %s", async (directive, status, type, kind) => {
    const err = await client.messages
      .create({ model: "m", max_tokens: 10, messages: [{ role: "user", content: directive }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(status);
    expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe(type);
    expect(classifyModelError(err)).toBe(kind);
  });
});
