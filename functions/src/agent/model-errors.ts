import Anthropic from "@anthropic-ai/sdk";
import { t } from "../i18n/catalogue.js";
import type { Locale } from "../i18n/locale.js";
import type { MessageKey } from "../i18n/messages.js";
import type { Logger } from "../observability/logger.js";
import { AgentError, StreamInterruptedError } from "./agent-error.js";

export type ModelFailure =
  | "rate_limited"
  | "overloaded"
  | "timeout"
  | "unavailable"
  | "misconfigured"
  | "rejected";

// What the user reads for each failure: short, human, no class names or API bodies.
const FAILURE_MESSAGE = {
  rate_limited: "model-rate-limited",
  overloaded: "model-overloaded",
  timeout: "model-timeout",
  unavailable: "model-unavailable",
  misconfigured: "model-misconfigured",
  rejected: "model-rejected",
} as const satisfies Record<ModelFailure, MessageKey>;

/** The user's explanation of a failure, in their language. */
export function modelFailureText(locale: Locale, failure: ModelFailure): string {
  return t(locale, FAILURE_MESSAGE[failure]);
}

/**
 * The API's error `type` (body `error.type`) → failure. Pinned from the API errors page
 * (platform.claude.com/docs/en/api/errors: 400 invalid_request_error, 401
 * authentication_error, 403 permission_error, 404 not_found_error, 413 request_too_large,
 * 429 rate_limit_error, 500 api_error, 529 overloaded_error) and the SDK's ErrorType
 * (adds billing_error and timeout_error). Everything a user cannot fix by rephrasing —
 * a bad key, no credit, an unknown model, a max_tokens above the model's limit, an
 * invalid parameter — is the operator's: "misconfigured".
 */
const BY_TYPE: Record<string, ModelFailure> = {
  invalid_request_error: "misconfigured",
  authentication_error: "misconfigured",
  billing_error: "misconfigured",
  permission_error: "misconfigured",
  not_found_error: "misconfigured",
  request_too_large: "rejected",
  rate_limit_error: "rate_limited",
  timeout_error: "timeout",
  api_error: "unavailable",
  overloaded_error: "overloaded",
};

/** error.details.error_code values of a 429 that waiting will not fix: a spend limit the operator set or reached. */
const SPEND_LIMIT_CODES = new Set([
  "enforced_spend_limit_reached",
  "contract_spend_limit_reached",
  "linked_organization_spend_limit_reached",
]);

/** When the body has no known type (a proxy's page, an old gateway): the HTTP status decides. */
function byStatus(status: number): ModelFailure {
  if (status === 429) return "rate_limited";
  if (status === 529) return "overloaded";
  if (status === 408 || status === 504) return "timeout";
  if (status === 413) return "rejected";
  if (status >= 500) return "unavailable";
  if ([400, 401, 402, 403, 404, 422].includes(status)) return "misconfigured";
  return "rejected";
}

export interface ModelErrorInfo {
  failure: ModelFailure;
  /**
   * A stable name for what went wrong: the API's error type, with its error_code when the
   * body has one ("rate_limit_error/enforced_spend_limit_reached"), else `http_<status>`,
   * "connection", "connection_timeout" or "aborted".
   */
  cause: string;
  status: number | null;
  requestId: string | null;
}

/**
 * Classifies a model error by the SDK's typed errors, the body's error type and code,
 * then the HTTP status (never by message text). The SDK has already retried
 * 408/409/429/5xx/529 with backoff by the time this is called (not an error event in
 * the middle of a stream: the SDK never retries once a response has begun). An
 * AgentError, and a StreamInterruptedError inside it, is classified by its cause. Returns null for errors that are not from the API: those
 * are bugs and propagate.
 */
export function describeModelError(err: unknown): ModelErrorInfo | null {
  const outer = err instanceof AgentError ? err.cause : err;
  const e = outer instanceof StreamInterruptedError ? outer.cause : outer;
  if (e instanceof Anthropic.APIUserAbortError) return info("timeout", "aborted");
  if (e instanceof Anthropic.APIConnectionTimeoutError) return info("timeout", "connection_timeout");
  if (e instanceof Anthropic.APIConnectionError) return info("unavailable", "connection");
  if (!(e instanceof Anthropic.APIError)) return null;
  const status = e.status ?? 0;
  const type = e.type ?? null;
  const code = e.errorCode ?? null;
  const cause = type ? (code ? `${type}/${code}` : type) : `http_${status}`;
  let failure = (type && BY_TYPE[type]) || byStatus(status);
  if (code && SPEND_LIMIT_CODES.has(code)) failure = "misconfigured";
  return { failure, cause, status: e.status ?? null, requestId: e.requestID ?? null };
}

function info(failure: ModelFailure, cause: string): ModelErrorInfo {
  return { failure, cause, status: null, requestId: null };
}

export function classifyModelError(err: unknown): ModelFailure | null {
  return describeModelError(err)?.failure ?? null;
}

/** The log line ops alert on: one ERROR per cause per process, `{ cause, status, request_id }`. */
export const MISCONFIGURED_LOG_MESSAGE = "model misconfigured";
const reported = new Set<string>();

/**
 * If `err` is the operator's fault (bad key, no credit, spend limit, unknown model,
 * invalid parameter), logs ERROR "model misconfigured" with its `cause` the first time
 * that cause is seen in this process, so the alert fires once and the user's "the
 * operator has been told" is true. Returns whether the error is a misconfiguration.
 */
export function reportMisconfiguration(log: Logger, err: unknown, seen: Set<string> = reported): boolean {
  const described = describeModelError(err);
  if (described?.failure !== "misconfigured") return false;
  if (!seen.has(described.cause)) {
    seen.add(described.cause);
    log.error(
      {
        cause: described.cause,
        status: described.status,
        request_id: described.requestId,
        err: err instanceof AgentError ? err.cause : err,
      },
      MISCONFIGURED_LOG_MESSAGE,
    );
  }
  return true;
}
