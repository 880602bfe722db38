import { readFileSync } from "node:fs";
import { FluentResource } from "@fluent/bundle";
import { describe, expect, it } from "vitest";
import { Catalogue, catalogueFile, loadBundle, t } from "../../../src/i18n/catalogue.js";
import { LOCALES, type Locale } from "../../../src/i18n/locale.js";
import { MESSAGES, type MessageKey, type PlaceableKind } from "../../../src/i18n/messages.js";
import { markdownToTelegramHtml } from "../../../src/telegram/format.js";

const KEYS = Object.keys(MESSAGES).sort() as MessageKey[];
const source = (locale: Locale) => readFileSync(catalogueFile(locale), "utf8");

/** Fluent's runtime syntax tree, walked structurally (@fluent/bundle exports no element types). */
type Node = { type?: string; name?: string; [k: string]: unknown };

function walk(node: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(node)) for (const n of node) walk(n, visit);
  else if (node && typeof node === "object") {
    visit(node as Node);
    for (const value of Object.values(node)) walk(value, visit);
  }
}

/** Message id → the variables it references and the keys of the select expressions on each. */
function parse(locale: Locale) {
  const resource = new FluentResource(source(locale));
  const messages = new Map<string, { vars: Set<string>; variants: Map<string, string[]> }>();
  for (const entry of resource.body) {
    const vars = new Set<string>();
    const variants = new Map<string, string[]>();
    walk(entry.value, (n) => {
      if (n.type === "var") vars.add(n.name!);
      if (n.type === "select") {
        const selector = n.selector as Node;
        const keys = (n.variants as { key: { value: string | number } }[]).map((v) => String(v.key.value));
        if (selector.type === "var") variants.set(selector.name!, keys.sort());
      }
    });
    messages.set(entry.id, { vars, variants });
  }
  return messages;
}

/** A value of each kind, for formatting every message. */
const SAMPLE: Record<PlaceableKind, string | number> = {
  text: "Ana",
  markdown: "• pirate – Talks like a pirate",
  number: 1234,
  usd: 0.01234,
  keyword: "voice",
};
const sampleVars = (key: MessageKey) =>
  Object.fromEntries(Object.entries(MESSAGES[key]).map(([name, kind]) => [name, SAMPLE[kind]]));
/** t without its per-key typing, to format every key with generated values of the declared kinds. */
type AnyT = (locale: Locale, key: MessageKey, vars?: Record<string, string | number>) => string;
const format = (locale: Locale, key: MessageKey) => (t as AnyT)(locale, key, sampleVars(key));

describe.each(LOCALES)("locales/%s.ftl", (locale) => {
  const messages = parse(locale);

  it("has every key of src/i18n/messages.ts and no other (nothing unparsable either)", () => {
    expect([...messages.keys()].sort()).toEqual(KEYS);
  });

  it("uses exactly the declared placeables in every message", () => {
    for (const key of KEYS) {
      expect([...(messages.get(key)?.vars ?? [])].sort(), key).toEqual(Object.keys(MESSAGES[key]).sort());
    }
  });

  it("branches on a keyword over the same cases as English", () => {
    const english = parse("en");
    for (const key of KEYS) {
      for (const [name, kind] of Object.entries(MESSAGES[key])) {
        if (kind !== "keyword") continue;
        expect(messages.get(key)?.variants.get(name), `${key} $${name}`).toEqual(
          english.get(key)?.variants.get(name),
        );
      }
    }
  });

  it("formats every message by itself (no English fallback) without errors, bidi marks or leftovers", () => {
    const bundle = loadBundle(locale, source(locale));
    for (const key of KEYS) {
      const errors: Error[] = [];
      const text = bundle.formatPattern(bundle.getMessage(key)!.value!, sampleVars(key), errors);
      expect(errors, key).toEqual([]);
      expect(text.trim().length, key).toBeGreaterThan(0);
      expect(text, key).not.toMatch(/[\u2068\u2069]|\{|undefined|NaN/);
    }
  });

  it("keeps the Markdown of the English text (same formatting tags once rendered)", () => {
    const tags = (l: Locale, key: MessageKey) =>
      (markdownToTelegramHtml(format(l, key)).match(/<\/?[a-z]+/g) ?? []).sort();
    for (const key of KEYS) expect(tags(locale, key), key).toEqual(tags("en", key));
  });

  it("is its own language, not a copy of English (beyond names like Claude or PDF)", () => {
    if (locale === "en") return;
    const same = KEYS.filter((key) => format(locale, key) === format("en", key));
    expect(same).toEqual([]);
  });

  it("has command descriptions Telegram accepts (1-256 characters, one line)", () => {
    for (const key of KEYS.filter((k) => k.startsWith("command-"))) {
      const text = format(locale, key);
      expect(text.length, key).toBeGreaterThan(0);
      expect(text.length, key).toBeLessThanOrEqual(256);
      expect(text, key).not.toContain("\n");
    }
  });
});

describe("t", () => {
  it("fills placeables in the locale's language", () => {
    expect(t("es", "skill-switched", { name: "Pirate" })).toBe("Personaje cambiado a Pirate.");
    expect(t("en", "skill-switched", { name: "Pirate" })).toBe("Switched to Pirate.");
    expect(t("de", "welcome", { name: "Ana" })).toMatch(/^Hallo Ana!/);
  });

  it("escapes values users chose, in every locale: no link, formatting or detectable URL", () => {
    const name = "[click](https://evil.example) *x* evil.com";
    for (const locale of LOCALES) {
      for (const key of ["welcome", "skill-switched"] as const) {
        const html = markdownToTelegramHtml(t(locale, key, { name }));
        expect(html).not.toContain("<a ");
        expect(html).not.toContain("<b>");
        expect(html).not.toMatch(/https?:\/\/evil/);
        expect(html).not.toContain("evil.com");
        expect(html.replace(/\u200b/g, "")).toContain("[click](https://evil.example) *x* evil.com");
      }
      const unknown = markdownToTelegramHtml(t(locale, "skill-unknown", { name: "*bold*", skills: "• a" }));
      expect(unknown).toContain("*bold*");
      expect(unknown).not.toContain("<b>");
    }
  });

  it("inserts Markdown the bot built as is", () => {
    const skills = "• pirate *(active)* – Talks like a pirate";
    expect(t("en", "help", { skills })).toContain(skills);
    expect(markdownToTelegramHtml(t("ru", "skill-list", { skills }))).toContain("<i>(active)</i>");
  });

  it("formats numbers and dollars for the locale", () => {
    const stats = {
      messages: 1234,
      input: 56789,
      cached: 0,
      output: 10,
      searches: 0,
      cost: 0.01234,
      saved: 0.5,
      today: 0.02,
      daily: 1,
      dailyLimit: "some",
      month: 12.5,
      monthly: 0,
      monthlyLimit: "none",
    };
    expect(t("en", "stats", stats)).toContain("Messages: 1,234");
    expect(t("en", "stats", stats)).toContain("Estimated cost: $0.0123");
    expect(t("de", "stats", stats)).toContain("Nachrichten: 1.234");
    expect(t("de", "stats", stats)).toMatch(/Geschätzte Kosten: 0,0123\s\$/);
    expect(t("es", "too-long", { max: 4000, got: 4001 })).toMatch(/4001 caracteres; el límite es 4000/);
    expect(t("pt", "stats", stats)).toMatch(/Custo estimado: US\$\s0,0123/);
  });

  it("agrees numbers and nouns where the language needs it", () => {
    const steps = (n: number) => t("ru", "agent-iteration-limit", { steps: n });
    expect(steps(21)).toContain("после 21 шага");
    expect(steps(3)).toContain("после 3 шагов");
    const pages = (n: number) => t("ru", "media-pdf-too-many-pages", { pages: n, limit: 100 });
    expect(pages(101)).toContain("101 страница;");
    expect(pages(102)).toContain("102 страницы;");
    expect(pages(140)).toContain("140 страниц;");
  });

  it("branches on a keyword, with a default for an unknown one", () => {
    expect(t("es", "media-unsupported-kind", { kind: "voice" })).toContain("mensajes de voz");
    expect(t("de", "media-unsupported-kind", { kind: "something new" })).toContain("Nachrichten dieser Art");
  });
});

describe("Catalogue fallback", () => {
  const english = source("en");

  it("a key the locale lacks is said in English", () => {
    const catalogue = new Catalogue((l) => (l === "en" ? english : "welcome = ¡Hola, { $name }!"));
    expect(catalogue.t("es", "welcome", { name: "Ana" })).toBe("¡Hola, Ana!");
    expect(catalogue.t("es", "undo-done")).toBe("Removed the last exchange.");
  });

  it("a message the locale cannot format (a placeable it does not know) is said in English", () => {
    const catalogue = new Catalogue((l) => (l === "en" ? english : "skill-switched = Ahora { $nombre }."));
    expect(catalogue.t("es", "skill-switched", { name: "Pirate" })).toBe("Switched to Pirate.");
  });

  it("a catalogue that cannot be read is reported once, and English is used", () => {
    const reported: Locale[] = [];
    const catalogue = new Catalogue(
      (l) => {
        if (l === "de") throw new Error("ENOENT");
        return english;
      },
      (l) => reported.push(l),
    );
    expect(catalogue.t("de", "undo-nothing")).toBe("There's nothing to undo.");
    expect(catalogue.t("de", "reset-nothing")).toBe("There's no history to forget.");
    expect(reported).toEqual(["de"]);
  });

  it("each catalogue is read on first use only", () => {
    const read: Locale[] = [];
    const catalogue = new Catalogue((l) => {
      read.push(l);
      return source(l);
    });
    expect(read).toEqual([]);
    catalogue.t("en", "undo-done");
    catalogue.t("en", "reset-done");
    catalogue.t("pt", "undo-done");
    expect(read).toEqual(["en", "pt"]);
  });

  it("without English there is nothing to fall back to: that is a bug, and it throws", () => {
    const catalogue = new Catalogue(() => {
      throw new Error("ENOENT");
    });
    expect(() => catalogue.t("en", "undo-done")).toThrow(/ENOENT/);
  });
});
