import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startFakeAnthropic } from "./fake-anthropic.js";
import { startFakeTelegram } from "./fake-telegram.js";

/**
 * Runs both fakes as a standalone process (dev console, benchmark):
 *   node lib/devtools/fakes-cli.js --telegram-port 8781 --anthropic-port 8782 [--label "[offline model] "]
 *     [--delay 50] [--host 127.0.0.1] [--log]
 * Prints one JSON line {"telegram": url, "anthropic": url} once listening; with --log, then one JSON
 * line per Bot API call ({"telegram": {method, payload, ok}}). Stops cleanly on SIGTERM/SIGINT.
 */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "telegram-port": { type: "string", default: "0" },
      "anthropic-port": { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      label: { type: "string", default: "" },
      delay: { type: "string", default: "0" },
      log: { type: "boolean", default: false },
    },
  });
  const telegram = await startFakeTelegram({ port: Number(values["telegram-port"]), host: values.host });
  const anthropic = await startFakeAnthropic({
    port: Number(values["anthropic-port"]),
    host: values.host,
    label: values.label,
    delayMs: Number(values.delay),
  });
  if (values.log) {
    telegram.onCall(({ method, payload, ok }) => {
      process.stdout.write(`${JSON.stringify({ telegram: { method, payload, ok } })}\n`);
    });
  }
  process.stdout.write(`${JSON.stringify({ telegram: telegram.url, anthropic: anthropic.url })}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all([telegram.close(), anthropic.close()]);
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

// Only run when executed directly, so importing the module has no side effects.
const isEntry = () => {
  try {
    return realpathSync(process.argv[1] ?? "") === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
};
if (isEntry()) {
  main().catch((error: unknown) => {
    process.stderr.write(`fakes-cli: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
