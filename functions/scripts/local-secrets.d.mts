// Types for local-secrets.mjs (the tests import it from TypeScript).
export const SECRETS_FILE: string;
export function isPlaceholder(name: string, value: string): boolean;
export function ensureLocalSecrets(file?: string): string[];
