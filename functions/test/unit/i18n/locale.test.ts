import { describe, expect, it } from "vitest";
import { DEFAULT_LOCALE, LOCALES, localeOf, resolveLocale } from "../../../src/i18n/locale.js";

describe("resolveLocale", () => {
  it.each([
    ["es", "es"],
    ["pt-BR", "pt"],
    ["pt-br", "pt"],
    ["pt_PT", "pt"],
    ["DE", "de"],
    ["de-AT", "de"],
    ["ru", "ru"],
    ["en-GB", "en"],
  ])("%s → %s", (code, locale) => {
    expect(resolveLocale(code)).toBe(locale);
  });

  it.each([["fr"], ["zh-hans"], ["uk"], [""], ["-"], ["e"], ["english"]])(
    "an unshipped or malformed code (%j) gets English",
    (code) => {
      expect(resolveLocale(code)).toBe("en");
    },
  );

  it("no code at all gets English", () => {
    expect(resolveLocale(undefined)).toBe("en");
    expect(resolveLocale(null)).toBe("en");
  });

  it("English is the fallback and ships first", () => {
    expect(DEFAULT_LOCALE).toBe("en");
    expect(LOCALES[0]).toBe("en");
    expect(LOCALES).toEqual(expect.arrayContaining(["en", "ru", "es", "pt", "de"]));
  });
});

describe("localeOf", () => {
  it("is the speaker's language", () => {
    expect(localeOf({ from: { language_code: "es-MX" } })).toBe("es");
  });

  it("is English for a speaker without one (an anonymous admin, a channel) or no speaker", () => {
    expect(localeOf({ from: {} })).toBe("en");
    expect(localeOf({})).toBe("en");
  });
});
