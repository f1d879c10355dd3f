/**
 * What to change, for each reason code: the one sentence `inspect` prints under a refusal. The
 * reason itself comes from the core (an AuthError code); this file only turns it into advice,
 * using the token's decoded claims and the configuration to be specific.
 */
import { isSymmetricOrNone } from '../../shared/config/defaults.ts';
import type { AuthError, AuthErrorCode } from '../../shared/errors.ts';
import type { AuthConfig, IssuerConfig, SkippedKey } from '../../shared/types.ts';
import { isoOfSeconds } from '../lib/time.ts';

/** What the advice may refer to. */
export interface AdviceContext {
  readonly error: AuthError;
  readonly header: Readonly<Record<string, unknown>> | undefined;
  readonly payload: Readonly<Record<string, unknown>> | undefined;
  readonly config: AuthConfig;
  readonly issuer: IssuerConfig | undefined;
  readonly atMs: number;
  /** Keys of the issuer's set that the gate skips, with why (unknown before a fetch). */
  readonly skippedKeys?: readonly SkippedKey[];
}

const list = (items: readonly unknown[]) => items.map((item) => String(item)).join(', ');

type Advisor = (context: AdviceContext) => string;

const ADVICE: { readonly [C in AuthErrorCode]: Advisor } = {
  credential_missing: () => 'send the token as "Authorization: Bearer <token>"',
  credential_malformed: () =>
    'send exactly one credential: "Authorization: Bearer <token>" with one space-free token',
  token_too_large: ({ config }) =>
    `the token is over credentials.maxTokenBytes (${config.credentials.maxTokenBytes}); ` +
    'raise that limit if such tokens are expected, or ask the issuer for fewer claims',
  token_malformed: ({ error }) =>
    error.detail.claim === undefined
      ? `the token itself is broken (${error.message}); copy the whole compact JWS ` +
        '(three base64url parts joined by dots) and check the issuer signs JWTs, not JWEs'
      : `a header member or claim has the wrong type or range (${error.message}); ` +
        'fix how the issuer mints it: no configuration here can accept it',
  token_unsupported_algorithm: ({ header, issuer }) =>
    neverAllowed(header?.alg)
      ? // No configuration accepts these, so advising "add it to the allow-list" would send the
        // user to a start-up error.
        `the token's alg is ${JSON.stringify(header?.alg ?? null)}: unsigned and symmetric ` +
        '(HS*) tokens are never accepted, since a key set holds public keys only; have the ' +
        'issuer sign with an asymmetric algorithm (RS256, ES256, EdDSA, ...)'
      : `the token is signed with ${String(header?.alg)}, which is not on the allow-list` +
        (issuer ? ` (${list(issuer.algorithms)})` : '') +
        '; add it to the issuer\'s "algorithms" (JWT_ALGORITHMS) if the issuer really signs ' +
        'with it',
  token_header_rejected: ({ error }) =>
    `${error.message}; keys come only from the configured key set, and no JWS extension ` +
    '(crit, b64) or JWE member (enc, zip) is accepted, so the issuer must not send it',
  token_signature_invalid: ({ header }) =>
    `the signature does not verify with the key "${String(header?.kid ?? '(no kid)')}"; the ` +
    'token was altered, or signed by another key with the same kid (check the key-set address)',
  token_expired: ({ payload, atMs }) =>
    'exp' in (payload ?? {})
      ? `the token expired at ${isoOfSeconds(payload?.exp)} (checked at ` +
        `${new Date(atMs).toISOString()}); get a fresh token, or use --at to check it at an ` +
        'earlier instant'
      : 'the token has no exp; the gate requires one: configure the issuer to set it',
  token_not_yet_valid: ({ payload }) =>
    `the token is valid only from ${isoOfSeconds(payload?.nbf)} (nbf); check the clocks of ` +
    'the issuer and this machine, or raise clockToleranceSeconds a little',
  token_too_old: ({ payload, issuer, atMs }) =>
    // One code covers both ends of `iat`; the fixes differ: a clock for the future, the
    // lifetime for the past.
    typeof payload?.iat === 'number' && payload.iat * 1000 > atMs
      ? `the token was issued at ${isoOfSeconds(payload.iat)}, after the instant checked ` +
        `(${new Date(atMs).toISOString()}); check the clocks of the issuer and this machine, ` +
        'raise clockToleranceSeconds a little, or use --at to check it at a later instant'
      : `the token was issued at ${isoOfSeconds(payload?.iat)}, longer ago than ` +
        `maxTokenAgeSeconds (${issuer?.maxTokenAgeSeconds ?? 'unset'}); get a fresh token, or ` +
        'raise maxTokenAgeSeconds',
  token_type_invalid: ({ header, issuer }) =>
    `the header typ is "${String(header?.typ ?? '(none)')}" but the issuer expects ` +
    `"${issuer?.typ}"; set the issuer's "typ" to what its tokens carry, or remove it`,
  claim_missing: ({ error }) =>
    `the token lacks the required claim "${error.detail.claim ?? '?'}"; remove it from ` +
    '"requiredClaims" or have the issuer include it',
  issuer_unknown: ({ payload, config }) =>
    `the token's iss is "${String(payload?.iss)}", which is not configured (configured: ` +
    `${list(config.issuers.map((i) => i.issuer)) || 'none'}); set JWT_ISSUER (or add an ` +
    'issuer to AUTH_CONFIG.issuers) to exactly this value, trailing slash included',
  audience_invalid: ({ payload, issuer }) =>
    `the token's aud is ${JSON.stringify(payload?.aud ?? null)}, the issuer accepts ` +
    `${list(issuer?.audiences ?? [])}; add the token's audience to JWT_AUDIENCE (or the ` +
    'issuer\'s "audiences") if this API is what the token is for, or request a token for this API',
  profile_check_failed: ({ error, issuer }) =>
    `the ${issuer?.provider ?? 'provider'} profile check on "${error.detail.claim ?? '?'}" ` +
    `failed (${error.message}); ` +
    profileHint(error.detail.claim),
  key_unknown: ({ header, skippedKeys }) => {
    const skipped = skippedKeys?.find((key) => key.kid !== undefined && key.kid === header?.kid);
    // The kid is published but unusable: waiting for a rotation would not help.
    if (skipped) {
      return (
        `the key set has kid "${skipped.kid}", but the gate skips that key ` +
        `(${skipped.reason}); the issuer must sign with a usable key`
      );
    }
    return (
      `no key in the issuer's key set fits kid "${String(header?.kid ?? '(none)')}" and alg ` +
      `${String(header?.alg)}; check the key-set address (jwks --help) or wait for the ` +
      "provider's rotation to publish the key"
    );
  },
  key_set_unavailable: ({ error }) =>
    `${error.message}; check the address and that this machine can reach it, or pass ` +
    '--jwks <file> with a saved copy',
  key_set_invalid: ({ error }) =>
    `${error.message}; point jwksUrl (JWKS_URL) at the provider's JWK Set, and check the ` +
    'address with `npm run jwks -- <address>`',
  insufficient_scope: ({ error }) =>
    error.detail.claim !== undefined
      ? `the route requires a value of claim "${error.detail.claim}" the token does not have; ` +
        'request a token with it, or change the route rule'
      : `the route requires scope(s) ${list(error.detail.requiredScopes ?? [])}; request a ` +
        'token with them, or change the route rule',
  origin_rejected: () =>
    'a cookie credential on an unsafe method needs an Origin header listed in corsOrigins ' +
    "(or the issuer's authorizedParties)",
};

/** `none`, the HMAC algorithms and a missing `alg`: no allow-list can accept them. */
function neverAllowed(alg: unknown): boolean {
  return typeof alg !== 'string' || isSymmetricOrNone(alg);
}

function profileHint(claim: string | undefined): string {
  switch (claim) {
    case 'azp':
      return 'add the token\'s azp to the issuer\'s "authorizedParties"';
    case 'token_use':
      return 'set "tokenUse" to the kind of token you send (access or id)';
    case 'client_id':
      return 'add the token\'s client_id to "clientIds"';
    case 'tid':
      return 'add the token\'s tid to "tenants" (or "*" to accept any tenant explicitly)';
    default:
      return "compare the claim with the issuer's profile settings";
  }
}

/** The advice for a refusal. */
export function adviceFor(context: AdviceContext): string {
  return ADVICE[context.error.code](context);
}
