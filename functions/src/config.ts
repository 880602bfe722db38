import { z } from "zod";

// Every setting in one place, validated once, read lazily (never at import time:
// Firebase params have no value until the function runs).

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

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
  ANTHROPIC_MAX_TOKENS: int(1024, 1),
  ANTHROPIC_TIMEOUT_MS: int(60_000, 1000),
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
  CACHE_MAX_ENTRIES: int(5000, 10),
  CACHE_MAX_BYTES: int(64 * 1024 * 1024, 1024),
  WARMUP_SESSIONS: int(200, 0),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});

export type Config = z.output<typeof ConfigSchema>;
export type ConfigSource = Record<string, string | number | undefined>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly issues: string[]) {
    super(`invalid configuration: ${issues.join("; ")}`);
  }
}

/** Parses raw values (Firebase params or process.env); empty strings count as unset. */
export function parseConfig(source: ConfigSource): Config {
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([k, v]) => v !== undefined && !(v === "" && k !== "COLLECTION_PREFIX")),
  );
  const result = ConfigSchema.safeParse(cleaned);
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
export function secretValues(config: Config): string[] {
  return [
    config.TELEGRAM_BOT_TOKEN,
    config.TELEGRAM_WEBHOOK_SECRET,
    config.ANTHROPIC_API_KEY,
    config.ADMIN_SECRET,
  ].filter((s): s is string => typeof s === "string" && s.length >= 6);
}
