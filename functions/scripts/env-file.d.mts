// Types for env-file.mjs (the tests import it from TypeScript).
export function parseEnv(text: string): { values: Record<string, string>; invalid: string[] };
export function readEnvFile(file: string): Record<string, string>;
