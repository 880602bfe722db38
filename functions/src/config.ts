import { z } from "zod";
import { MediaConfigShape } from "./media/limits.js";

// Every setting in one place, validated once, read lazily (never at import time:
// Firebase params have no value until the function runs).

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** A USD amount as a decimal string (Firebase params have no public float type); 0 = no limit. */
const usd = z.coerce.number().finite().min(0).default(0);

const idList = z
  .string()
  .default("")
  .transform((s, ctx) => {
    const ids: number[] = [];
    for (const part of s
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean)) {
      const n = Number(part);
      if (!Number.isSafeInteger(n)) {
        ctx.addIssue({ code: "custom", message: `not a Telegram user id: "${part}"` });
        return z.NEVER;
      }
      ids.push(n);
    }
    return ids;
  });

export const ConfigSchema = z.object({
  TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:.+$/, "must look like <bot id>:<secret>"),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .min(1)
    .max(256)
    // Telegram allows only these characters in secret_token.
    .regex(/^[A-Za-z0-9_-]+$/, "only A-Z, a-z, 0-9, _ and - are allowed"),
  ANTHROPIC_API_KEY: z.string().min(1),
  ADMIN_SECRET: z.string().min(16).optional(),
  TELEGRAM_API_ROOT: z.url().default("https://api.telegram.org"),
  TELEGRAM_BOT_USERNAME: z.string().min(1).default("agent_bot"),
  ANTHROPIC_BASE_URL: z.url().default("https://api.anthropic.com"),
  ANTHROPIC_MODEL: z.string().min(1).default("claude-sonnet-4-6"),
  // A long answer for the default model (Sonnet 4.6) fits; a cut answer says so.
  ANTHROPIC_MAX_TOKENS: int(8192, 1),
  // An 8K-token answer takes 100–150 s; the model stage itself ends at 240 s (timeouts.ts).
  ANTHROPIC_TIMEOUT_MS: int(180_000, 1000),
  ANTHROPIC_MAX_RETRIES: int(2, 0),
  ALLOWED_USER_IDS: idList,
  HISTORY_MAX_MESSAGES: int(40, 2),
  // A Firestore document is at most 1 MiB; keep history well below it.
  HISTORY_MAX_BYTES: int(256 * 1024, 1024).pipe(z.number().max(900 * 1024)),
  COLLECTION_PREFIX: z
    .string()
    .default("")
    .refine((s) => /^[A-Za-z0-9_-]*$/.test(s), "only A-Z, a-z, 0-9, _ and -"),
  RATE_LIMIT_PER_MINUTE: int(20, 1),
  MAX_INPUT_CHARS: int(4000, 1),
  MAX_TOOL_ITERATIONS: int(6, 1),
  CACHE_TTL_SECONDS: int(300, 1),
  // Per-user model spend limits (agent/budgets.ts); 0 = no limit. Admins are exempt.
  USER_DAILY_BUDGET_USD: usd,
  USER_MONTHLY_BUDGET_USD: usd,
  ADMIN_USER_IDS: idList,
  // Anthropic's server-side web search, for skills with `webSearch: true`: searches per
  // model request (billed per search); 0 = off.
  WEB_SEARCH_MAX_USES: int(0, 0),
  CACHE_MAX_ENTRIES: int(5000, 10),
  CACHE_MAX_BYTES: int(64 * 1024 * 1024, 1024),
  WARMUP_SESSIONS: int(200, 0),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  ...MediaConfigShape,
  // How answers (and their drafts) are formatted: Telegram HTML (format.ts), or rich
  // messages (Bot API 10.1) that Telegram renders itself. HTML by default: some
  // clients cannot show rich messages at all (see telegram/reply.ts sendPart).
  REPLY_FORMAT: z.enum(["html", "rich"]).default("html"),
});

export type Config = z.output<typeof ConfigSchema>;

/**
 * The admin (metrics) function's settings: it serves no turns, so it is given
 * neither the bot token nor the Anthropic key, only its own secret.
 */
export const AdminConfigSchema = ConfigSchema.omit({
  TELEGRAM_BOT_TOKEN: true,
  TELEGRAM_WEBHOOK_SECRET: true,
  ANTHROPIC_API_KEY: true,
}).extend({ ADMIN_SECRET: z.string().min(16) });
export type AdminConfig = z.output<typeof AdminConfigSchema>;
export type ConfigSource = Record<string, string | number | undefined>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly issues: string[]) {
    super(`invalid configuration: ${issues.join("; ")}`);
  }
}

/** Parses raw values (Firebase params or process.env); empty strings count as unset. */
export function parseConfig(source: ConfigSource): Config {
  return parseWith(ConfigSchema, source);
}

export function parseAdminConfig(source: ConfigSource): AdminConfig {
  return parseWith(AdminConfigSchema, source);
}

function parseWith<S extends z.ZodType>(schema: S, source: ConfigSource): z.output<S> {
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([k, v]) => v !== undefined && !(v === "" && k !== "COLLECTION_PREFIX")),
  );
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    // Name the setting but never echo its value: it may be a secret.
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  return result.data;
}

/** Memoises a config factory so values are read on first use, not at import. */
export function lazyConfig(read: () => ConfigSource): () => Config {
  let config: Config | undefined;
  return () => {
    config ??= parseConfig(read());
    return config;
  };
}

/** Values that must never reach a log line. */
export function secretValues(config: Partial<Config>): string[] {
  return [
    config.TELEGRAM_BOT_TOKEN,
    config.TELEGRAM_WEBHOOK_SECRET,
    config.ANTHROPIC_API_KEY,
    config.ADMIN_SECRET,
  ].filter((s): s is string => typeof s === "string" && s.length >= 6);
}
