/**
 * Chooses which published keys may check a token's signature and imports them for `jose`.
 * The algorithm comes from the issuer's allow-list (already checked); a key qualifies only when
 * its type, curve, own `alg`, `use` and `key_ops` all agree with it (RFC 7517 §4, RFC 8725 §3.1).
 * Imported keys are cached per published key and algorithm, so the cold path costs one import.
 */
import { importJWK, type JWK } from 'jose';
import { AuthError } from './errors.ts';
import type { UsableKey } from './types.ts';

/** The key type each JWS algorithm needs (RFC 7518 §3.1, RFC 8037 §3.1). */
const KTY_OF: Readonly<Record<string, string>> = {
  RS256: 'RSA',
  RS384: 'RSA',
  RS512: 'RSA',
  PS256: 'RSA',
  PS384: 'RSA',
  PS512: 'RSA',
  ES256: 'EC',
  ES384: 'EC',
  ES512: 'EC',
  EdDSA: 'OKP',
  Ed25519: 'OKP',
};

/**
 * The curve each curve-bound algorithm needs (RFC 7518 §3.4: ES256 is P-256 only; a P-256 key
 * under an ES384 header, or a secp256k1 key, must not be tried). EdDSA is limited to Ed25519,
 * the one curve WebCrypto verifies everywhere.
 */
const CRV_OF: Readonly<Record<string, string>> = {
  ES256: 'P-256',
  ES384: 'P-384',
  ES512: 'P-521',
  EdDSA: 'Ed25519',
  Ed25519: 'Ed25519',
};

/** RSA keys under 2048 bits are refused (RFC 7518 §3.3; NIST SP 800-131A). */
const MIN_RSA_BITS = 2048;

/** Tried at most this many keys when the token names no `kid` and several keys fit. */
export const MAX_CANDIDATE_KEYS = 3;

/** Modulus bit length per published JWK object: a set's keys are frozen, so it never changes. */
const modulusBitsOf = new WeakMap<object, number>();

/**
 * Bit length of the key's RSA modulus, decoded once per published key rather than once per
 * verification: decoding a 2048-bit `n` is a base64 pass over 342 characters.
 */
function rsaBits(jwk: Readonly<Record<string, unknown>>): number {
  let bits = modulusBitsOf.get(jwk);
  if (bits === undefined) {
    bits = modulusBits(jwk.n);
    modulusBitsOf.set(jwk, bits);
  }
  return bits;
}

/** Bit length of a base64url big-endian unsigned integer (an RSA modulus), 0 when undecodable. */
function modulusBits(n: unknown): number {
  if (typeof n !== 'string' || !/^[A-Za-z0-9_-]+={0,2}$/.test(n)) return 0;
  let binary: string;
  try {
    binary = atob(n.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return 0;
  }
  let i = 0;
  while (i < binary.length && binary.charCodeAt(i) === 0) i++;
  if (i === binary.length) return 0;
  return (binary.length - i - 1) * 8 + (32 - Math.clz32(binary.charCodeAt(i)));
}

/** Whether `key` may verify a signature made with `alg`. */
export function keyFitsAlgorithm(key: UsableKey, alg: string): boolean {
  const jwk = key.jwk;
  if (KTY_OF[alg] === undefined || key.kty !== KTY_OF[alg]) return false;
  // A key that declares its algorithm is used with that algorithm only (RFC 7517 §4.4).
  if (key.alg !== undefined && key.alg !== alg) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify')))
    return false;
  const crv = CRV_OF[alg];
  if (crv !== undefined && (key.crv ?? jwk.crv) !== crv) return false;
  if (key.kty === 'RSA' && rsaBits(jwk) < MIN_RSA_BITS) return false;
  return true;
}

/**
 * The keys to try, in published order. With no `kid` in the token and more than
 * {@link MAX_CANDIDATE_KEYS} fitting keys we refuse rather than try them all: each try is a
 * signature check an attacker could multiply.
 * @throws AuthError `key_unknown`
 */
export function selectKeys(
  keys: readonly UsableKey[],
  alg: string,
  kid: string | undefined,
): UsableKey[] {
  // A key named by another kid is never tried, whatever the key source returned.
  const fitting: UsableKey[] = [];
  for (const key of keys) {
    if (
      (kid === undefined || key.kid === undefined || key.kid === kid) &&
      keyFitsAlgorithm(key, alg)
    )
      fitting.push(key);
  }
  if (fitting.length === 0) {
    throw new AuthError(
      'key_unknown',
      'no published key fits the token kid and alg',
      kid === undefined ? {} : { kid },
    );
  }
  if (fitting.length > MAX_CANDIDATE_KEYS) {
    throw new AuthError(
      'key_unknown',
      'token names no kid and too many keys fit',
      kid === undefined ? {} : { kid },
    );
  }
  return fitting;
}

/** Only the public members WebCrypto needs: no `alg`, `use`, `key_ops`, `ext`, `x5c`. */
function publicMembers(jwk: Readonly<Record<string, unknown>>): JWK {
  switch (jwk.kty) {
    case 'RSA':
      return { kty: 'RSA', n: jwk.n as string, e: jwk.e as string };
    case 'EC':
      return { kty: 'EC', crv: jwk.crv as string, x: jwk.x as string, y: jwk.y as string };
    default:
      return { kty: jwk.kty as string, crv: jwk.crv as string, x: jwk.x as string };
  }
}

const imported = new WeakMap<object, Map<string, CryptoKey>>();

/**
 * The key {@link importKey} already imported for `key` and `alg`, or `undefined`: lets the
 * verification of a known key go on without waiting for a promise.
 */
export function importedKey(key: UsableKey, alg: string): CryptoKey | undefined {
  return imported.get(key.jwk)?.get(alg);
}

/**
 * Imports `key` for `alg`, cached per published key object and algorithm. The algorithm is
 * passed to the import only; the published JWK is never changed (C12).
 * @throws AuthError `key_unknown` when the key material cannot be imported
 */
export async function importKey(key: UsableKey, alg: string): Promise<CryptoKey> {
  let byAlg = imported.get(key.jwk);
  const cached = byAlg?.get(alg);
  if (cached) return cached;
  let cryptoKey: CryptoKey;
  try {
    const result = await importJWK(publicMembers(key.jwk), alg);
    if (result instanceof Uint8Array) throw new TypeError('symmetric key');
    cryptoKey = result;
  } catch {
    throw new AuthError(
      'key_unknown',
      'published key cannot be imported',
      key.kid === undefined ? {} : { kid: key.kid },
    );
  }
  if (!byAlg) {
    byAlg = new Map();
    imported.set(key.jwk, byAlg);
  }
  byAlg.set(alg, cryptoKey);
  return cryptoKey;
}
