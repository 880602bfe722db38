// The message catalogue: Fluent files (functions/locales/<locale>.ftl), one per shipped
// language, each parsed on first use so an instance only pays for the languages its users
// speak. Fluent (Mozilla's @fluent/bundle) gives translators plural categories, select
// expressions and locale-aware numbers; we use it directly rather than through
// @grammyjs/i18n because our texts are needed outside a grammY context too (the agent
// loop, media refusals, set-webhook.mjs), and the plugin's Deno shim would add ~120
// modules to a cold start for file reading we do in one line.
//
// The .ftl files live outside src/ and are read relative to this module: from src/i18n in
// tests and from lib/i18n once built, `../../locales` is functions/locales either way, and
// firebase.json deploys that folder with lib/.

import { readFileSync } from "node:fs";
import { FluentBundle, FluentNumber, FluentResource, type FluentVariable } from "@fluent/bundle";
import { escapeMarkdown } from "../telegram/format.js";
import { DEFAULT_LOCALE, type Locale } from "./locale.js";
import { MESSAGES, type MessageKey, type MessageVars, type VarsArg } from "./messages.js";

export type { Locale } from "./locale.js";
export type { MessageKey, MessageVars } from "./messages.js";

/** Where a locale's catalogue is, in the source tree and in the deployed function alike. */
export function catalogueFile(locale: Locale): URL {
  return new URL(`../../locales/${locale}.ftl`, import.meta.url);
}

/**
 * A locale's bundle. useIsolating off: Fluent would wrap every placeable in invisible
 * bidi marks (U+2068/U+2069), which end up inside copied commands and Markdown; none of
 * our languages is right-to-left.
 */
export function loadBundle(locale: Locale, source: string): FluentBundle {
  const bundle = new FluentBundle(locale, { useIsolating: false });
  const errors = bundle.addResource(new FluentResource(source));
  if (errors.length > 0) throw new Error(`locales/${locale}.ftl: ${errors.map(String).join("; ")}`);
  return bundle;
}

/** Our values in Fluent's terms: user-chosen text escaped here, in one place for every message. */
function fluentArgs(
  key: MessageKey,
  vars: Readonly<Record<string, string | number>>,
): Record<string, FluentVariable> {
  const kinds: Readonly<Record<string, string>> = MESSAGES[key];
  const args: Record<string, FluentVariable> = {};
  for (const [name, value] of Object.entries(vars)) {
    switch (kinds[name]) {
      case "text":
        args[name] = escapeMarkdown(String(value));
        break;
      case "usd": {
        // Cents for whole dollars and more, tenths of a cent for the small amounts a turn costs.
        const digits = Math.abs(Number(value)) >= 1 ? 2 : 4;
        args[name] = new FluentNumber(Number(value), {
          style: "currency",
          currency: "USD",
          minimumFractionDigits: digits,
          maximumFractionDigits: digits,
        });
        break;
      }
      default:
        args[name] = value;
    }
  }
  return args;
}

/** The message formatted, or null if the bundle lacks it or it fails to format (unless `lenient`). */
function format(
  bundle: FluentBundle,
  key: MessageKey,
  args: Record<string, FluentVariable> | null,
  lenient = false,
) {
  const pattern = bundle.getMessage(key)?.value;
  if (!pattern) return null;
  const errors: Error[] = [];
  const text = bundle.formatPattern(pattern, args, errors);
  return errors.length === 0 || lenient ? text : null;
}

/** Reports a catalogue that could not be loaded (the default: one structured ERROR line). */
export type UnusableCatalogue = (locale: Locale, err: unknown) => void;

const logUnusable: UnusableCatalogue = (locale, err) =>
  console.error(
    JSON.stringify({
      severity: "ERROR",
      message: "locale catalogue unusable; answering in English",
      locale,
      error: String(err),
    }),
  );

/** The catalogue files, each parsed into a bundle on first use. */
export class Catalogue {
  private readonly bundles = new Map<Locale, FluentBundle>();

  constructor(
    private readonly read: (locale: Locale) => string = (locale) =>
      readFileSync(catalogueFile(locale), "utf8"),
    private readonly unusable: UnusableCatalogue = logUnusable,
  ) {}

  /**
   * A fixed text of the bot in `locale`, with its placeables filled in:
   *     t("es", "welcome", { name: "Ana" })  →  "¡Hola, Ana! …"
   * The result is Markdown (rendered like Claude's answers). A message the locale lacks or
   * cannot format falls back to English; the unit tests keep every locale complete, so
   * that is a safety net, not a path.
   */
  t<K extends MessageKey>(locale: Locale, key: K, ...[vars]: VarsArg<K>): string {
    const args = vars ? fluentArgs(key, vars as MessageVars<K> & Record<string, string | number>) : null;
    const text =
      format(this.bundle(locale), key, args) ?? format(this.bundle(DEFAULT_LOCALE), key, args, true);
    if (text === null) throw new Error(`message "${key}" is missing from locales/${DEFAULT_LOCALE}.ftl`);
    return text;
  }

  private bundle(locale: Locale): FluentBundle {
    let bundle = this.bundles.get(locale);
    if (!bundle) {
      try {
        bundle = loadBundle(locale, this.read(locale));
      } catch (err) {
        // English is the floor: without it there is nothing to say.
        if (locale === DEFAULT_LOCALE) throw err;
        // A catalogue that cannot be read must not silence the bot: English instead, said once.
        this.unusable(locale, err);
        bundle = this.bundle(DEFAULT_LOCALE);
      }
      this.bundles.set(locale, bundle);
    }
    return bundle;
  }
}

const catalogue = new Catalogue();

/** The bot's words in `locale` (see Catalogue.t): `t(localeOf(ctx), "welcome", { name })`. */
export function t<K extends MessageKey>(locale: Locale, key: K, ...vars: VarsArg<K>): string {
  return catalogue.t(locale, key, ...vars);
}
