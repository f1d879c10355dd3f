/**
 * The Worker's own answers: denials (400, 401, 403, 503) mapped from a reason code through the
 * one table in `shared/errors.ts`, and the generic 500 of a configuration error. Bodies are a
 * small JSON object; detail goes to the log line, never to the wire.
 */
import { type AuthError, type OutcomeKind, outcomeOf } from '../shared/errors.ts';
import type { AuthConfig } from '../shared/types.ts';
import { bearerChallenge } from './challenge.ts';

/** HTTP status per outcome kind (DESIGN.md, "Worker answers"). */
const STATUS: { readonly [K in OutcomeKind]: number } = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  unavailable: 503,
};

/** The body's `error` member when RFC 6750 has no code for the situation. */
const BODY_ERROR: { readonly [K in OutcomeKind]: string } = {
  bad_request: 'invalid_request',
  unauthenticated: 'unauthorized',
  forbidden: 'forbidden',
  unavailable: 'temporarily_unavailable',
};

/** `Retry-After` when the core gives no hint: long enough not to invite a retry storm. */
const DEFAULT_RETRY_AFTER_SECONDS = 30;

/** The CORS part of the gate's configuration. */
type CorsConfig = Pick<AuthConfig, 'corsOrigins' | 'credentials'>;

/**
 * CORS headers for a denial, so a browser client can read the status and the challenge
 * (Fetch standard, CORS protocol). Only for an `Origin` the configuration allows; the origin is
 * echoed, never `*`, so credentialed requests (cookies) can read the answer too.
 */
export function corsHeaders(config: CorsConfig, origin: string | null): Record<string, string> {
  if (origin === null) return {};
  const allowed = config.corsOrigins.includes(origin) || config.corsOrigins.includes('*');
  if (!allowed) return {};

  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Expose-Headers': 'WWW-Authenticate, Retry-After',
  };
  if (config.credentials.cookie !== undefined) {
    headers['Access-Control-Allow-Credentials'] = 'true';
  }
  return headers;
}

/** A JSON answer that no cache may keep (RFC 9111 §5.2.2.5) and that varies by `Origin`. */
function jsonAnswer(status: number, body: object, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      Vary: 'Origin',
      ...headers,
    },
  });
}

/**
 * The answer to a denied request: status and challenge from the reason code, `Retry-After` on
 * 503, CORS headers when the request's `Origin` is allowed.
 */
export function denialResponse(
  config: AuthConfig,
  error: AuthError,
  origin: string | null,
  fallbackRetryAfterSeconds: number = DEFAULT_RETRY_AFTER_SECONDS,
): Response {
  const outcome = outcomeOf(error.code);
  const status = STATUS[outcome.kind];
  const headers = corsHeaders(config, origin);

  if (outcome.kind === 'unavailable') {
    // RFC 9110 §10.2.3: tell clients when the key set may be back instead of inviting a storm.
    const hint = error.detail.retryAfterSeconds ?? fallbackRetryAfterSeconds;
    headers['Retry-After'] = String(Math.max(1, Math.ceil(hint)));
  } else if (outcome.kind !== 'forbidden' || outcome.bearerError !== undefined) {
    // 400, 401 and the scope 403 carry a Bearer challenge (RFC 6750 §3); a CSRF 403 is not
    // about the token, so it has none.
    headers['WWW-Authenticate'] = bearerChallenge(config.realm, {
      error: outcome.bearerError,
      code: outcome.bearerError === undefined ? undefined : error.code,
      scopes: error.detail.requiredScopes,
    });
  }

  return jsonAnswer(
    status,
    { error: outcome.bearerError ?? BODY_ERROR[outcome.kind], code: error.code },
    headers,
  );
}

/**
 * The answer while the configuration is broken: a generic 500 that names nothing. The option
 * and the fix are in the log line written once per isolate.
 */
export function configErrorResponse(): Response {
  return jsonAnswer(500, { error: 'server_error', code: 'configuration_error' }, {});
}

/** The answer when the core broke its promise to decide every request: fail closed. */
export function internalErrorResponse(): Response {
  return jsonAnswer(500, { error: 'server_error', code: 'internal_error' }, {});
}

/** The answer when the origin cannot be reached (RFC 9110 §15.6.3). */
export function badGatewayResponse(): Response {
  return jsonAnswer(502, { error: 'bad_gateway', code: 'origin_unreachable' }, {});
}
