import { describe, expect, it } from "vitest";
import { modelFailureText } from "../../src/agent/model-errors.js";
import { t } from "../../src/i18n/catalogue.js";
import type { Locale } from "../../src/i18n/locale.js";
import { MediaError } from "../../src/media/errors.js";
import { refusalText } from "../../src/media/texts.js";
import { markdownToTelegramHtml } from "../../src/telegram/format.js";
import { newChat, post, sentTexts, startFakes, textUpdate } from "../support/e2e.js";
import { useFakes } from "../support/fakes.js";

// The bot's own words follow the speaker's Telegram language, through the functions
// emulator (the deployed code in lib/, reading the deployed catalogues in locales/).

const { telegram, anthropic } = useFakes(startFakes);

/** What Telegram receives for one of our texts: the catalogue's Markdown rendered to HTML. */
const shown = (text: string) => markdownToTelegramHtml(text);
const welcome = (locale: Locale) => shown(t(locale, "welcome", { name: "Test" }));

describe("the bot's fixed texts are in the user's language", () => {
  it("a user with language_code es gets Spanish: welcome, help, stats, refusals", async () => {
    const chat = newChat();
    const es = { languageCode: "es" };
    await post(textUpdate(chat, "/start", es));
    await post(textUpdate(chat, "/help", es));
    await post(textUpdate(chat, "/stats", es));
    await post(textUpdate(chat, "/skill nosuch", es));
    await post(textUpdate(chat, "x".repeat(501), es)); // MAX_INPUT_CHARS=500
    const sticker = textUpdate(chat, "", es) as { message: Record<string, unknown> };
    delete sticker.message.text;
    sticker.message.sticker = { file_id: "x", file_unique_id: "y", type: "regular", width: 1, height: 1 };
    await post(sticker);

    const [start, help, stats, unknown, tooLong, textOnly] = sentTexts(telegram, chat);
    expect(start).toBe(welcome("es"));
    expect(start).toMatch(/^¡Hola, Test!/);
    expect(help).toContain("Comandos:");
    expect(help).toContain("/skill &lt;nombre&gt;");
    expect(help).toContain("Personajes:");
    expect(help).toContain("pirate");
    expect(stats).toMatch(/^Tu uso hasta ahora:/);
    expect(stats).toContain("Mensajes: 0");
    expect(stats).toMatch(/Costo estimado: 0,0000\sUS\$/);
    expect(unknown).toMatch(/^No hay ningún personaje llamado "nosuch"/);
    expect(tooLong).toBe(shown(t("es", "too-long", { max: 500, got: 501 })));
    const sticker_ = new MediaError("unsupported_kind", "sticker is not supported", { what: "sticker" });
    expect(textOnly).toBe(shown(refusalText("es", sticker_)));
    expect(textOnly).toMatch(/stickers/);
    expect(anthropic.requests).toHaveLength(0);
  });

  it("the agent's notices and the model's failures reach a Spanish speaker in Spanish", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "algo rechazado [[stop:refusal]]", { languageCode: "es" }));
    await post(textUpdate(chat, "hola [[error:billing_error:400]]", { languageCode: "es" }));
    expect(sentTexts(telegram, chat)).toEqual([
      shown(t("es", "agent-refused")),
      shown(modelFailureText("es", "misconfigured")),
    ]);
  });

  it("a user with an unknown language code, or none, gets English", async () => {
    for (const languageCode of ["xx", "fr", null]) {
      const chat = newChat();
      await post(textUpdate(chat, "/start", { languageCode }));
      await post(textUpdate(chat, "/undo", { languageCode }));
      expect(sentTexts(telegram, chat), String(languageCode)).toEqual([
        welcome("en"),
        shown(t("en", "undo-nothing")),
      ]);
    }
    expect(welcome("en")).toMatch(/^Hi Test!/);
  });

  it("a regional variant gets its language (pt-BR → Portuguese)", async () => {
    const chat = newChat();
    await post(textUpdate(chat, "/start", { languageCode: "pt-BR" }));
    expect(sentTexts(telegram, chat)).toEqual([welcome("pt")]);
  });

  it("in a group, each member is answered in their own language", async () => {
    const chat = -newChat();
    const group = { chatType: "supergroup" as const };
    await post(textUpdate(chat, "/skill", { ...group, userId: 101, languageCode: "de" }));
    await post(textUpdate(chat, "/skill", { ...group, userId: 102, languageCode: "ru" }));
    const [german, russian] = sentTexts(telegram, chat);
    expect(german).toMatch(/^Personas \(wechseln mit \/skill &lt;Name&gt;\):/);
    expect(german).toContain("(aktiv)");
    expect(russian).toMatch(/^Персоны \(выбрать: \/skill &lt;имя&gt;\):/);
    expect(russian).toContain("(активна)");
  });
});
