// Which language the bot's own words are in. Telegram tells us the speaker's interface
// language (`from.language_code`, an IETF tag such as "es" or "pt-BR"); we ship one
// catalogue per primary language and fall back to English for anything else.

/**
 * The shipped languages, one `locales/<code>.ftl` each; the first is the fallback.
 * Adding a language: its code here and its catalogue file (the unit tests list what is missing).
 */
export const LOCALES = ["en", "de", "es", "pt", "ru"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "en";

const shipped: ReadonlySet<string> = new Set(LOCALES);

/** "pt-BR" → "pt", "ES" → "es", "zh-hans" or nothing → "en". Regional variants share a catalogue. */
export function resolveLocale(languageCode: string | null | undefined): Locale {
  const primary = languageCode?.split(/[-_]/, 1)[0]?.toLowerCase();
  return primary && shipped.has(primary) ? (primary as Locale) : DEFAULT_LOCALE;
}

/**
 * The speaker's locale for an update (structural, so any grammY context fits). In a group
 * each member is answered in their own language; an anonymous admin or a channel carries
 * no language_code and gets English.
 */
export function localeOf(ctx: { from?: { language_code?: string | undefined } | undefined }): Locale {
  return resolveLocale(ctx.from?.language_code);
}
