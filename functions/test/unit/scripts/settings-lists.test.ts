import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readEnvFile } from "../../../scripts/env-file.mjs";
import { ConfigSchema, parseConfig } from "../../../src/config.js";

// Every setting is a Firebase param (index.ts), listed with its default in
// functions/.env (the emulator prompts for a param no .env file sets, and an
// unattended `npm test` / `npm run dev` would hang), and in the README's table.

const functionsDir = join(import.meta.dirname, "..", "..", "..");
const SECRETS = ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "ANTHROPIC_API_KEY", "ADMIN_SECRET"];
const REQUIRED = { TELEGRAM_BOT_TOKEN: "1:x", TELEGRAM_WEBHOOK_SECRET: "s", ANTHROPIC_API_KEY: "k" };

/** The non-secret params index.ts declares, with their defaults as written. */
function declaredParams(): Map<string, string> {
  const source = readFileSync(join(functionsDir, "src", "index.ts"), "utf8");
  const params = new Map<string, string>();
  for (const m of source.matchAll(/define(?:String|Int)\("(\w+)",\s*\{\s*default:\s*("([^"]*)"|\d+)\s*\}/g)) {
    params.set(m[1]!, m[3] ?? m[2]!);
  }
  return params;
}

describe("the lists of settings agree", () => {
  const params = declaredParams();
  const settings = Object.keys(ConfigSchema.shape).filter((name) => !SECRETS.includes(name));

  it("index.ts declares a param for every setting in config.ts", () => {
    expect([...params.keys()].sort()).toEqual([...settings].sort());
  });

  it("functions/.env sets every param, to the default config.ts has", () => {
    const env = readEnvFile(join(functionsDir, ".env"));
    expect(Object.keys(env).sort()).toEqual([...params.keys()].sort());
    const defaults = parseConfig(REQUIRED) as Record<string, unknown>;
    for (const [name, value] of Object.entries(env)) {
      const fromEnv = parseConfig({ ...REQUIRED, [name]: value }) as Record<string, unknown>;
      expect(fromEnv[name], name).toEqual(defaults[name]);
      expect(value, `${name} in index.ts`).toBe(params.get(name));
    }
  });

  it("the README's configuration table lists every param and secret", () => {
    const readme = readFileSync(join(functionsDir, "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## Data model"));
    const listed = [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...params.keys(), ...SECRETS].sort());
  });
});
