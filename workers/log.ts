/**
 * The Worker's log lines: one JSON object per line, built here and nowhere else, so it is easy
 * to see what can reach the logs. A token, an `Authorization` header or a cookie value never
 * does: the lines hold reason codes, configured names, and the request's method and path only.
 */
import type { AuthError, ConfigError } from '../shared/errors.ts';
import type { Decision, KeySetStatus } from '../shared/types.ts';

/** Longest free-form value (path, `kid`, issuer) written to a line, in characters. */
const MAX_FIELD_CHARS = 256;

/** Cuts a value that came from the request, so a log line stays small whatever is sent. */
function bounded(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.length <= MAX_FIELD_CHARS ? value : `${value.slice(0, MAX_FIELD_CHARS)}...`;
}

/** The facts of one request decision, as the handler collects them. */
export interface DecisionFacts {
  decision: Decision;
  method: string;
  /** The URL path only: a query string may carry a token. */
  path: string;
  status: number;
  durationMs: number;
  /** Claims left out of the identity headers for being too long. */
  omittedClaims?: readonly string[];
}

/** The line written for every request the gate decides. */
export function decisionLine(facts: DecisionFacts): string {
  const { decision } = facts;
  const identity =
    decision.outcome === 'allow' || decision.outcome === 'deny' ? decision.identity : undefined;
  const error: AuthError | undefined = decision.outcome === 'deny' ? decision.error : undefined;

  return JSON.stringify({
    event: 'decision',
    outcome: decision.outcome,
    code: error?.code,
    status: facts.status,
    issuer: bounded(identity?.iss ?? error?.detail.issuer),
    kid: bounded(identity?.kid ?? error?.detail.kid),
    claim: error?.detail.claim,
    method: bounded(facts.method),
    route: decision.rule?.path,
    path: bounded(facts.path),
    cache: identity?.cache,
    omittedClaims: facts.omittedClaims?.length ? facts.omittedClaims : undefined,
    durationMs: facts.durationMs,
  });
}

/**
 * The line written once per isolate when the configuration is rejected: the option and the fix,
 * which is all an operator needs and nothing a client should see.
 */
export function configErrorLine(error: ConfigError): string {
  return JSON.stringify({
    event: 'config_error',
    option: error.option,
    message: error.message,
    fix: error.fix,
  });
}

/** The line written when a request failed in a way the core promises never happens. */
export function internalErrorLine(method: string, path: string, error: unknown): string {
  return JSON.stringify({
    event: 'internal_error',
    method: bounded(method),
    path: bounded(path),
    // The error's class only: a message from a dependency could quote its input.
    error: error instanceof Error ? error.name : typeof error,
  });
}

/** The line written by the `scheduled` key-set refresh. */
export function refreshLine(
  results: readonly { issuer: string; ok: boolean; code?: string }[],
  durationMs: number,
): string {
  return JSON.stringify({
    event: 'key_set_refresh',
    ok: results.every((result) => result.ok),
    issuers: results,
    durationMs,
  });
}

/**
 * The line written when an issuer's key set changed in memory and some keys were skipped, or
 * when its last fetch failed: operator information (a wrong `JWKS_URL`, a document that is not a
 * JWK Set), written once per change rather than once per request.
 */
export function keySetLine(issuer: string, status: KeySetStatus): string {
  return JSON.stringify({
    event: 'key_set',
    issuer,
    jwksUrl: status.jwksUrl,
    usableKeys: status.usableKeys,
    skipped: status.skipped.length > 0 ? status.skipped : undefined,
    lastFailure: status.lastFailure,
  });
}

/** The line written when the KV tier fails (the request goes on without it). */
export function storeErrorLine(operation: 'get' | 'put', error: unknown): string {
  return JSON.stringify({
    event: 'kv_error',
    operation,
    error: error instanceof Error ? error.message : String(error),
  });
}
