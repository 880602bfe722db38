import { describe, expect, it } from "vitest";
import { ConfigError, lazyConfig, parseConfig, secretValues } from "../../src/config.js";

const base = {
  TELEGRAM_BOT_TOKEN: "123:abc-secret-token",
  TELEGRAM_WEBHOOK_SECRET: "hook_secret-1",
  ANTHROPIC_API_KEY: "sk-ant-xyz",
};

describe("config", () => {
  it("applies defaults for everything but the secrets", () => {
    const c = parseConfig(base);
    expect(c.ANTHROPIC_MODEL).toBe("claude-sonnet-4-6");
    expect(c.HISTORY_MAX_MESSAGES).toBe(40);
    expect(c.HISTORY_MAX_BYTES).toBe(256 * 1024);
    expect(c.ALLOWED_USER_IDS).toEqual([]);
    expect(c.TELEGRAM_API_ROOT).toBe("https://api.telegram.org");
  });

  it("parses ints from strings, the allowlist, and treats empty strings as unset", () => {
    const c = parseConfig({
      ...base,
      HISTORY_MAX_MESSAGES: "12",
      ALLOWED_USER_IDS: " 1, 22 ,333",
      ANTHROPIC_MODEL: "",
    });
    expect(c.HISTORY_MAX_MESSAGES).toBe(12);
    expect(c.ALLOWED_USER_IDS).toEqual([1, 22, 333]);
    expect(c.ANTHROPIC_MODEL).toBe("claude-sonnet-4-6");
  });

  it("rejects bad values naming the setting but never echoing a secret", () => {
    const bad = {
      ...base,
      TELEGRAM_BOT_TOKEN: "no-colon-here",
      HISTORY_MAX_BYTES: "2000000",
      ALLOWED_USER_IDS: "1,x",
    };
    let err: unknown;
    try {
      parseConfig(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toContain("TELEGRAM_BOT_TOKEN");
    expect(msg).toContain("HISTORY_MAX_BYTES");
    expect(msg).toContain("ALLOWED_USER_IDS");
    expect(msg).not.toContain("no-colon-here");
  });

  it("budgets are decimal USD (0 = no limit, the default), admins a list of ids, web search off by default", () => {
    const d = parseConfig(base);
    expect(d).toMatchObject({
      USER_DAILY_BUDGET_USD: 0,
      USER_MONTHLY_BUDGET_USD: 0,
      ADMIN_USER_IDS: [],
      WEB_SEARCH_MAX_USES: 0,
    });
    const c = parseConfig({
      ...base,
      USER_DAILY_BUDGET_USD: "0.25",
      USER_MONTHLY_BUDGET_USD: "5",
      ADMIN_USER_IDS: "10, 20",
      WEB_SEARCH_MAX_USES: "3",
    });
    expect(c).toMatchObject({
      USER_DAILY_BUDGET_USD: 0.25,
      USER_MONTHLY_BUDGET_USD: 5,
      ADMIN_USER_IDS: [10, 20],
      WEB_SEARCH_MAX_USES: 3,
    });
    expect(() => parseConfig({ ...base, USER_DAILY_BUDGET_USD: "-1" })).toThrow(/USER_DAILY_BUDGET_USD/);
    expect(() => parseConfig({ ...base, USER_MONTHLY_BUDGET_USD: "five" })).toThrow(
      /USER_MONTHLY_BUDGET_USD/,
    );
  });

  it("is read lazily, once", () => {
    let reads = 0;
    const get = lazyConfig(() => {
      reads++;
      return base;
    });
    expect(reads).toBe(0);
    get();
    get();
    expect(reads).toBe(1);
  });

  it("lists the secret values for log redaction", () => {
    expect(secretValues(parseConfig(base))).toEqual([
      base.TELEGRAM_BOT_TOKEN,
      base.TELEGRAM_WEBHOOK_SECRET,
      base.ANTHROPIC_API_KEY,
    ]);
  });
});
