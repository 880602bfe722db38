import { afterAll, beforeAll, beforeEach } from "vitest";
import type { FakeAnthropic } from "../../devtools/fake-anthropic.js";
import type { FakeTelegram } from "../../devtools/fake-telegram.js";

export interface Fakes {
  telegram: FakeTelegram;
  anthropic: FakeAnthropic;
}

/** A stand-in for a value created later (in beforeAll): property access forwards to it. */
function forward<T extends object>(current: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_, prop) {
      const target = current();
      if (!target) throw new Error("fakes are not started yet (use them inside tests)");
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Starts the Bot API and Anthropic fakes for a test file, resets their records
 * before each test and closes them after the file.
 */
export function useFakes(start: () => Promise<Fakes>): Fakes {
  let fakes: Fakes | undefined;
  beforeAll(async () => {
    fakes = await start();
  });
  afterAll(async () => {
    await Promise.all([fakes?.telegram.close(), fakes?.anthropic.close()]);
  });
  beforeEach(() => {
    fakes?.telegram.reset();
    fakes?.anthropic.reset();
  });
  return { telegram: forward(() => fakes?.telegram), anthropic: forward(() => fakes?.anthropic) };
}
