import pino from "pino";

// Cloud Logging reads `severity` and `message` from JSON lines on stdout.
const SEVERITY: Record<string, string> = {
  trace: "DEBUG",
  debug: "DEBUG",
  info: "INFO",
  warn: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
};

export type Logger = pino.Logger;

export interface LoggerOptions {
  level?: string;
  /** Secret values scrubbed from every line, wherever they appear (URLs, error text). */
  secrets?: readonly string[];
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 6);
  return pino(
    {
      level: options.level ?? "info",
      messageKey: "message",
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? "DEFAULT" }),
      },
      redact: {
        paths: [
          "token",
          "apiKey",
          "secret",
          "*.token",
          "*.apiKey",
          "*.secret",
          'headers["x-telegram-bot-api-secret-token"]',
          "headers.authorization",
          'headers["x-api-key"]',
        ],
        censor: "[redacted]",
      },
      serializers: { err: pino.stdSerializers.err },
      hooks: {
        streamWrite: (line) => {
          let out = line;
          for (const s of secrets) out = out.replaceAll(s, "[redacted]");
          return out;
        },
      },
    },
    options.destination,
  );
}

/** The per-update child logger: every line of a turn carries these ids. */
export function turnLogger(
  log: Logger,
  ids: { update_id: number; chat_id?: number | undefined; user_id?: number | undefined },
): Logger {
  return log.child({ update_id: ids.update_id, chat_id: ids.chat_id, user_id: ids.user_id });
}
