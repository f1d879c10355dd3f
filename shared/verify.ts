/**
 * Verifies one token against the configuration, in the order DESIGN.md gives: decode without
 * trust, choose the issuer by exact `iss`, refuse algorithms off the allow-list, get keys from
 * the key source, choose keys by type/`alg`/`use`/`key_ops`, verify signature and registered
 * claims with `jose`, then the provider profile. Every failure leaves as an {@link AuthError};
 * nothing else escapes, and no message carries the token.
 */
import { compactVerify, type JWTHeaderParameters, type JWTPayload, jwtVerify } from 'jose';
// Named error classes from the subpath: the `errors` namespace would bundle every one of them.
import {
  JOSEError,
  JWSSignatureVerificationFailed,
  JWTClaimValidationFailed,
  JWTExpired,
} from 'jose/errors';
import { AuthError, type AuthErrorCode } from './errors.ts';
import { importedKey, importKey, selectKeys } from './key-select.ts';
import { checkProfile, IssuerIndex } from './profiles.ts';
import { scopesOf } from './routes.ts';
import { readHeader, readToken } from './token-parts.ts';
import type {
  AuthConfig,
  Identity,
  IssuerConfig,
  KeyLookup,
  KeySource,
  Runtime,
  UsableKey,
} from './types.ts';

/** Verifies tokens for one configuration. */
export interface Verifier {
  /** Verifies `token` fully; `source` is recorded in the identity. @throws AuthError */
  verify(token: string, source: Identity['source']): Promise<Identity>;
}

/** Builds the verifier of a configuration; the issuer index is built once here. */
export function createVerifier(config: AuthConfig, runtime: Runtime, keys: KeySource): Verifier {
  const index = new IssuerIndex(config.issuers);
  return {
    async verify(token, source) {
      try {
        return await verifyWith(index, runtime, keys, token, source);
      } catch (error) {
        throw toAuthError(error, 'token_malformed');
      }
    },
  };
}

async function verifyWith(
  index: IssuerIndex,
  runtime: Runtime,
  keys: KeySource,
  token: string,
  source: Identity['source'],
): Promise<Identity> {
  const { alg, kid, payload } = readToken(token);
  const iss = payload.iss as string;
  const issuer = index.resolve(iss, payload);

  // The allow-list is the issuer's, never the token's (RFC 8725 §3.1, C01).
  if (!issuer.algorithms.includes(alg)) {
    throw new AuthError('token_unsupported_algorithm', 'token alg is not allowed for its issuer', {
      claim: 'alg',
      issuer: issuer.issuer,
    });
  }

  // A set held in memory answers without a promise; only a fetch or an update awaits.
  const found = keysFor(keys, issuer, kid);
  const lookup = found instanceof Promise ? await found : found;
  const nowMs = runtime.now();
  const verified = await verifyWithKeys(token, issuer, iss, alg, kid, lookup.keys, nowMs);
  checkIssuedAt(verified.payload, issuer, nowMs);
  checkProfile(issuer, verified.payload as Record<string, unknown>);

  return {
    issuer,
    iss,
    subject: verified.payload.sub,
    payload: verified.payload,
    header: verified.protectedHeader,
    kid,
    scopes: scopesOf(verified.payload as Record<string, unknown>),
    source,
    cache: lookup.cache,
  };
}

/**
 * A token issued in the future is refused even without a maximum age (`jose` looks at `iat`
 * only with `maxTokenAge`): an `iat` of 1e19 says the clock of whoever minted it is wrong, or
 * that the token was minted to outlive a key rotation (RFC 7519 §4.1.6).
 */
function checkIssuedAt(payload: JWTPayload, issuer: IssuerConfig, nowMs: number): void {
  const now = Math.floor(nowMs / 1000);
  if (typeof payload.iat === 'number' && payload.iat > now + issuer.clockToleranceSeconds) {
    throw new AuthError('token_too_old', 'token iat is in the future', {
      claim: 'iat',
      issuer: issuer.issuer,
    });
  }
}

/**
 * Key lookup: from memory when the key source can answer so, else through its (possibly
 * fetching) `getKeys`. A key source that throws something other than an AuthError fails
 * closed (503).
 */
function keysFor(
  keys: KeySource,
  issuer: IssuerConfig,
  kid: string | undefined,
): KeyLookup | Promise<KeyLookup> {
  try {
    const held = keys.heldKeys?.(issuer, kid);
    if (held !== undefined) return held;
  } catch (error) {
    throw toAuthError(error, 'key_set_unavailable', issuer);
  }
  return lookupKeys(keys, issuer, kid);
}

async function lookupKeys(
  keys: KeySource,
  issuer: IssuerConfig,
  kid: string | undefined,
): Promise<KeyLookup> {
  try {
    return await keys.getKeys(issuer, kid);
  } catch (error) {
    throw toAuthError(error, 'key_set_unavailable', issuer);
  }
}

/** The issuer's `jwtVerify` options that never change, built once per issuer configuration. */
interface FixedOptions {
  readonly algorithms: string[];
  readonly audience: string[] | undefined;
  readonly requiredClaims: string[];
}

const fixedOptions = new WeakMap<IssuerConfig, FixedOptions>();

function fixedOptionsOf(issuer: IssuerConfig): FixedOptions {
  let fixed = fixedOptions.get(issuer);
  if (fixed === undefined) {
    // Copies, because `jose` takes mutable arrays; it never changes them, so one copy serves
    // every verification.
    fixed = {
      algorithms: [...issuer.algorithms],
      audience: issuer.audiences.length > 0 ? [...issuer.audiences] : undefined,
      requiredClaims: ['exp', ...issuer.requiredClaims],
    };
    fixedOptions.set(issuer, fixed);
  }
  return fixed;
}

/**
 * Tries the fitting keys in order. A signature mismatch moves on to the next key; any other
 * failure (a claim, the type) is final, because `jose` checks claims only after the signature.
 */
export async function verifyWithKeys(
  token: string,
  issuer: IssuerConfig,
  iss: string,
  alg: string,
  kid: string | undefined,
  published: readonly UsableKey[],
  nowMs: number,
): Promise<{ payload: JWTPayload; protectedHeader: JWTHeaderParameters }> {
  const candidates = selectKeys(published, alg, kid);
  const fixed = fixedOptionsOf(issuer);
  let lastError: unknown;
  for (const candidate of candidates) {
    let key = importedKey(candidate, alg);
    if (key === undefined) {
      try {
        key = await importKey(candidate, alg);
      } catch (error) {
        lastError = error;
        continue;
      }
    }
    try {
      return await jwtVerify(token, key, {
        algorithms: fixed.algorithms,
        issuer: iss,
        audience: fixed.audience,
        clockTolerance: issuer.clockToleranceSeconds,
        maxTokenAge: issuer.maxTokenAgeSeconds,
        typ: issuer.typ,
        requiredClaims: fixed.requiredClaims,
        currentDate: new Date(nowMs),
      });
    } catch (error) {
      lastError = error;
      if (!isSignatureFailure(error)) break;
    }
  }
  throw toAuthError(lastError, 'token_signature_invalid', issuer, kid);
}

/** A failure that another candidate key might not have: a mismatch, or WebCrypto refusing the key. */
function isSignatureFailure(error: unknown): boolean {
  return error instanceof JWSSignatureVerificationFailed || error instanceof TypeError;
}

/**
 * Checks only the signature, with the same key choice as {@link verifyWithKeys}: for tokens
 * whose payload is not a claims set (the RFC 7515/7520/8037 examples), and for inspection tools.
 * `allowed` is the algorithm allow-list. Returns the verified payload bytes.
 * @throws AuthError
 */
export async function verifySignature(
  token: string,
  allowed: readonly string[],
  published: readonly UsableKey[],
): Promise<Uint8Array> {
  try {
    const { alg, kid } = readHeader(token);
    if (!allowed.includes(alg)) {
      throw new AuthError('token_unsupported_algorithm', 'token alg is not allowed', {
        claim: 'alg',
      });
    }
    let lastError: unknown;
    for (const candidate of selectKeys(published, alg, kid)) {
      try {
        const key = await importKey(candidate, alg);
        return (await compactVerify(token, key, { algorithms: [...allowed] })).payload;
      } catch (error) {
        lastError = error;
        if (!(error instanceof AuthError) && !isSignatureFailure(error)) break;
      }
    }
    throw toAuthError(lastError, 'token_signature_invalid', undefined, kid);
  } catch (error) {
    throw toAuthError(error, 'token_malformed');
  }
}

/** Maps a `jose` claim failure to our code by the claim it names. */
function claimCode(claim: string, reason: string): AuthErrorCode {
  switch (claim) {
    case 'exp':
      return reason === 'missing'
        ? 'token_expired'
        : reason === 'invalid'
          ? 'token_malformed'
          : 'token_expired';
    case 'nbf':
      return reason === 'invalid' ? 'token_malformed' : 'token_not_yet_valid';
    case 'iat':
      return reason === 'invalid'
        ? 'token_malformed'
        : reason === 'missing'
          ? 'claim_missing'
          : 'token_too_old';
    case 'aud':
      return 'audience_invalid';
    case 'iss':
      return reason === 'missing' ? 'claim_missing' : 'issuer_unknown';
    case 'typ':
      return 'token_type_invalid';
    default:
      return reason === 'invalid' ? 'token_malformed' : 'claim_missing';
  }
}

/**
 * Turns anything thrown on the verification path into an AuthError. `fallback` is the code for
 * failures that are not JOSE errors (a `TypeError` from WebCrypto, a bug): they fail closed.
 * Messages are ours, never the library's, so no token content can leak through them.
 */
export function toAuthError(
  error: unknown,
  fallback: AuthErrorCode,
  issuer?: IssuerConfig,
  kid?: string,
): AuthError {
  if (error instanceof AuthError) return error;
  const detail = {
    ...(issuer ? { issuer: issuer.issuer } : {}),
    ...(kid !== undefined ? { kid } : {}),
  };
  if (error instanceof JWTClaimValidationFailed || error instanceof JWTExpired) {
    const code =
      error instanceof JWTExpired && error.claim === 'iat'
        ? 'token_too_old'
        : claimCode(error.claim, error.reason);
    return new AuthError(code, `token claim ${error.claim} failed its check`, {
      ...detail,
      claim: error.claim,
    });
  }
  if (error instanceof JOSEError) {
    const code = JOSE_CODES[error.code] ?? fallback;
    return new AuthError(code, `token rejected (${error.code})`, detail);
  }
  return new AuthError(fallback, 'token could not be verified', detail);
}

const JOSE_CODES: Readonly<Record<string, AuthErrorCode>> = {
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'token_signature_invalid',
  ERR_JOSE_ALG_NOT_ALLOWED: 'token_unsupported_algorithm',
  ERR_JOSE_NOT_SUPPORTED: 'token_unsupported_algorithm',
  ERR_JWS_INVALID: 'token_malformed',
  ERR_JWT_INVALID: 'token_malformed',
  ERR_JWK_INVALID: 'key_unknown',
  ERR_JWKS_NO_MATCHING_KEY: 'key_unknown',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'key_unknown',
  ERR_JWKS_INVALID: 'key_set_invalid',
  ERR_JWKS_TIMEOUT: 'key_set_unavailable',
};
