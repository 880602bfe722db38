import { describe, expect, it } from "vitest";
import { turnLogger } from "../../../src/observability/logger.js";
import { captureLogs } from "../../support/logs.js";

describe("logger", () => {
  it("writes Cloud Logging's JSON shape: severity and message", () => {
    const { log, lines } = captureLogs("debug");
    log.warn({ a: 1 }, "careful");
    log.error("bad");
    expect(lines[0]).toMatchObject({ severity: "WARNING", message: "careful", a: 1 });
    expect(lines[1]).toMatchObject({ severity: "ERROR", message: "bad" });
    expect(typeof lines[0]!.time).toBe("string");
  });

  it("per-update child loggers carry update_id, chat_id and user_id on every line", () => {
    const { log, lines } = captureLogs();
    const child = turnLogger(log, { update_id: 7, chat_id: 8, user_id: 9 });
    child.info("one");
    child.child({ x: 1 }).info("two");
    for (const l of lines) expect(l).toMatchObject({ update_id: 7, chat_id: 8, user_id: 9 });
  });

  it("redacts secrets wherever they appear, including inside error messages and URLs", () => {
    const token = "123456:SUPERSECRETTOKEN";
    const { log, lines } = captureLogs("info", [token]);
    log.error({ err: new Error(`fetch https://api.telegram.org/bot${token}/sendMessage failed`) }, "boom");
    log.info({ headers: { "x-telegram-bot-api-secret-token": "abc" }, apiKey: "sk-1" }, `token=${token}`);
    const text = JSON.stringify(lines);
    expect(text).not.toContain("SUPERSECRETTOKEN");
    expect(text).not.toContain("sk-1");
    expect(text).not.toContain('"abc"');
    expect(text).toContain("[redacted]");
  });
});
