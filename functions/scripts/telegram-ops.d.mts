// Types for the parts of telegram-ops.mjs the tests import.
export const VERIFY_UPDATE: { update_id: number; poll: Record<string, unknown> };
export function verifyWebhook(
  url: string,
  webhookSecret: string,
): Promise<{ ok: boolean; status: number; problem: string | null }>;
