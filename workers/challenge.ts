/**
 * The `WWW-Authenticate: Bearer` challenge of RFC 6750 §3, built from a reason code. Every
 * parameter value is a fixed phrase or comes from configuration (realm, required scopes); nothing
 * from the request or the token ever reaches the header.
 */
import type { AuthErrorCode } from '../shared/errors.ts';

/**
 * One short, fixed description per reason code for `error_description` (RFC 6750 §3). Fixed text
 * means no token content, claim value or header value can be reflected to the client.
 */
const DESCRIPTIONS: { readonly [C in AuthErrorCode]: string } = {
  credential_missing: 'No credential was sent',
  credential_malformed: 'The credential is malformed or sent more than once',
  token_too_large: 'The token is too large',
  token_malformed: 'The token is malformed',
  token_unsupported_algorithm: 'The token algorithm is not accepted',
  token_header_rejected: 'The token header is not accepted',
  token_signature_invalid: 'The token signature is invalid',
  token_expired: 'The token has expired',
  token_not_yet_valid: 'The token is not yet valid',
  token_too_old: 'The token issue time is not accepted',
  token_type_invalid: 'The token type is not accepted',
  claim_missing: 'A required claim is missing',
  issuer_unknown: 'The token issuer is not accepted',
  audience_invalid: 'The token audience is not accepted',
  profile_check_failed: 'The token was not issued for this application',
  key_unknown: 'The token signing key is unknown',
  key_set_unavailable: 'The signing keys are unavailable',
  key_set_invalid: 'The signing keys are unavailable',
  insufficient_scope: 'The token lacks the required scope',
  origin_rejected: 'The request origin is not allowed',
};

/** The fixed description of a reason code, as sent in `error_description`. */
export function describe(code: AuthErrorCode): string {
  return DESCRIPTIONS[code];
}

/**
 * Renders a value as an RFC 9110 §5.6.4 quoted-string. Characters a quoted-string cannot hold
 * (controls, DEL, non-ASCII) are dropped rather than escaped, because RFC 6750 §3 restricts the
 * Bearer parameters to printable ASCII; `"` and `\` are backslash-escaped.
 */
export function quote(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '');
  return `"${printable.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * Keeps only valid `scope-token`s (RFC 6749 §3.3: %x21 / %x23-5B / %x5D-7E), so the `scope`
 * parameter never needs escaping (RFC 6750 §3 forbids `"` and `\` in it).
 */
function scopeTokens(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope));
}

/** What a challenge says besides the realm. */
export interface ChallengeParams {
  /** RFC 6750 §3.1 error code; absent for a request with no credential at all. */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  /** The reason code, turned into a fixed `error_description`. */
  code?: AuthErrorCode;
  /** Scopes the resource needs, for `insufficient_scope` (RFC 6750 §3). */
  scopes?: readonly string[];
}

/**
 * Builds `Bearer realm="...", error="...", error_description="...", scope="..."`. With no
 * `error`, only the realm is sent: RFC 6750 §3.1 says a request without authentication
 * information gets no error code.
 */
export function bearerChallenge(realm: string, params: ChallengeParams = {}): string {
  const parts = [`Bearer realm=${quote(realm)}`];
  if (params.error === undefined) return parts[0]!;

  parts.push(`error=${quote(params.error)}`);
  if (params.code !== undefined) parts.push(`error_description=${quote(describe(params.code))}`);
  const scopes = scopeTokens(params.scopes ?? []);
  if (params.error === 'insufficient_scope' && scopes.length > 0) {
    parts.push(`scope=${quote(scopes.join(' '))}`);
  }
  return parts.join(', ');
}
