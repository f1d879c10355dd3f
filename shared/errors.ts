/**
 * The one error family of the verifier. Every failure on the request path ends as an
 * {@link AuthError} with a stable {@link AuthErrorCode}; configuration mistakes are a
 * {@link ConfigError} raised at start-up. Neither ever carries a token, a header value or a
 * payload in its message.
 */

/** Stable reason codes. Adapters map each one to a public answer in {@link outcomeOf}. */
export type AuthErrorCode =
  /** No credential on a protected route. */
  | 'credential_missing'
  /** Two credentials, an unknown scheme, an empty bearer value: the request itself is wrong. */
  | 'credential_malformed'
  /** The token is larger than the configured cap; rejected before decoding. */
  | 'token_too_large'
  /** Not a compact JWS, undecodable segments, non-JSON, a JWE, or bad claim types. */
  | 'token_malformed'
  /** The header's `alg` is not on the issuer's allow-list (or is `none` or symmetric). */
  | 'token_unsupported_algorithm'
  /**
   * The header carries something we refuse, its name in any case: `jwk`, `jku`, `x5u`, `x5c`,
   * `crit`, JWE's `enc` or `zip`, or a `b64` other than `true`.
   */
  | 'token_header_rejected'
  /** The signature does not verify with the selected key. */
  | 'token_signature_invalid'
  /** `exp` is in the past (beyond the clock tolerance) or missing. */
  | 'token_expired'
  /** `nbf` is in the future (beyond the clock tolerance). */
  | 'token_not_yet_valid'
  /** `iat` is in the future or older than the maximum token age. */
  | 'token_too_old'
  /** The `typ` header differs from the one the issuer expects. */
  | 'token_type_invalid'
  /** A required claim is missing or has the wrong type. */
  | 'claim_missing'
  /** `iss` matches no configured issuer. */
  | 'issuer_unknown'
  /** `aud` holds none of the accepted audiences. */
  | 'audience_invalid'
  /** A provider profile's own check failed (`azp`, `token_use`, `client_id`, `tid`). */
  | 'profile_check_failed'
  /** No key in the issuer's set matches the token's `kid`, key type and algorithm. */
  | 'key_unknown'
  /** The key set could not be obtained and no usable copy is cached. */
  | 'key_set_unavailable'
  /**
   * The key-set address serves no JWK Set (HTML, a body that is not UTF-8), or a set without a
   * usable key: an operator error.
   */
  | 'key_set_invalid'
  /** The token is valid but lacks a scope or claim value the route requires. */
  | 'insufficient_scope'
  /** A cookie credential on an unsafe method from an origin that is not allowed (CSRF). */
  | 'origin_rejected';

/** Extra, non-secret facts about a failure, for the adapter's log line. */
export interface AuthErrorDetail {
  /** The claim or header member concerned (`exp`, `aud`, `kid`, ...). */
  claim?: string;
  /** The issuer the token named, once it is known to be a configured one. */
  issuer?: string;
  /** The key id the token named (never secret). */
  kid?: string;
  /** Scopes the route requires, for the 403 challenge. */
  requiredScopes?: readonly string[];
  /** Seconds after which a retry may succeed, for 503 answers. */
  retryAfterSeconds?: number;
}

/** A request-path failure with a stable code. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;
  readonly detail: AuthErrorDetail;

  constructor(code: AuthErrorCode, message: string, detail: AuthErrorDetail = {}) {
    super(message);
    this.code = code;
    this.detail = detail;
  }
}

/**
 * A configuration mistake, found at start-up. `option` names the setting as the user wrote it
 * (`JWT_ISSUER`, `AUTH_CONFIG.issuers[0].audiences`) and `fix` says what to change.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly option: string;
  /** What is wrong with the option, without the option's name or the fix. */
  readonly problem: string;
  readonly fix: string;

  constructor(option: string, problem: string, fix: string) {
    super(`${option}: ${problem}. Fix: ${fix}`);
    this.option = option;
    this.problem = problem;
    this.fix = fix;
  }
}

/** How an adapter should answer a failure; the one mapping from code to public outcome. */
export type OutcomeKind = 'bad_request' | 'unauthenticated' | 'forbidden' | 'unavailable';

/** The public side of a failure: the answer kind and the RFC 6750 §3.1 error code, if any. */
export interface Outcome {
  kind: OutcomeKind;
  /** `undefined` for a missing credential: RFC 6750 §3.1 says to send no error code then. */
  bearerError: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined;
}

const OUTCOMES: { readonly [C in AuthErrorCode]: Outcome } = {
  credential_missing: { kind: 'unauthenticated', bearerError: undefined },
  credential_malformed: { kind: 'bad_request', bearerError: 'invalid_request' },
  token_too_large: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  token_malformed: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  token_unsupported_algorithm: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  token_header_rejected: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  token_signature_invalid: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  token_expired: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  token_not_yet_valid: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  token_too_old: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  token_type_invalid: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  claim_missing: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  issuer_unknown: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  audience_invalid: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  profile_check_failed: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  key_unknown: { kind: 'unauthenticated', bearerError: 'invalid_token' },
  key_set_unavailable: { kind: 'unavailable', bearerError: undefined },
  key_set_invalid: { kind: 'unavailable', bearerError: undefined },
  insufficient_scope: { kind: 'forbidden', bearerError: 'insufficient_scope' },
  origin_rejected: { kind: 'forbidden', bearerError: undefined },
};

/** Maps a reason code to its public outcome. Exhaustive by construction. */
export function outcomeOf(code: AuthErrorCode): Outcome {
  return OUTCOMES[code];
}

/** Every reason code, for tests and documentation. */
export const AUTH_ERROR_CODES = Object.keys(OUTCOMES) as AuthErrorCode[];
