import { createLogger, type Logger } from "../../src/observability/logger.js";

export interface CapturedLog {
  severity: string;
  message: string;
  [key: string]: unknown;
}

/** A real pino logger whose JSON lines are kept in memory for assertions. */
export function captureLogs(level = "debug", secrets: string[] = []): { log: Logger; lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const log = createLogger({
    level,
    secrets,
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as CapturedLog) },
  });
  return { log, lines };
}
