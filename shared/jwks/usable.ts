/**
 * Decides, key by key, whether a published JWK can verify signatures here. A key that cannot
 * (unknown `kty` or curve, an encryption key, a short RSA modulus, broken base64url, private
 * material, a symmetric key) is skipped with a reason; it never makes the whole set fail.
 */
import type { SkippedKey, UsableKey } from '../types.ts';

// Maps, not object literals: a published `kty` or `crv` of "constructor" or "toString" would
// find Object.prototype's members in a literal and pass as supported (or throw on use).

/** JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864) a key may declare, by key type. */
const SIGNING_ALGORITHMS: ReadonlyMap<string, readonly string[]> = new Map([
  ['RSA', ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']],
  ['EC', ['ES256', 'ES384', 'ES512']],
  ['OKP', ['EdDSA', 'Ed25519']],
]);

/**
 * Supported EC curves: the byte length of their coordinates (RFC 7518 §6.2.1.2) and the one
 * algorithm each is used with (§3.4).
 */
const EC_CURVES: ReadonlyMap<string, { readonly size: number; readonly alg: string }> = new Map([
  ['P-256', { size: 32, alg: 'ES256' }],
  ['P-384', { size: 48, alg: 'ES384' }],
  ['P-521', { size: 66, alg: 'ES512' }],
]);
/** Supported OKP curves and the byte length of their public key (RFC 8037 §2). */
const OKP_CURVES: ReadonlyMap<string, number> = new Map([['Ed25519', 32]]);

/** RFC 7518 §3.3: RSA keys for JWS must be at least 2048 bits (jose enforces it at verify time). */
const MIN_RSA_BITS = 2048;
/** Above what WebCrypto implementations accept; also bounds the cost an odd set can impose. */
const MAX_RSA_BITS = 16384;

/** Members that only a private key has (RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The outcome for one published key. */
export type KeyVerdict =
  | { readonly usable: true; readonly key: UsableKey }
  | { readonly usable: false; readonly skipped: SkippedKey };

/**
 * Classifies one entry of a `keys` array. A usable key keeps its JWK as published, except
 * that `=` padding on its base64url members is removed: Google's v2 endpoint pads `n`, which
 * RFC 7515 §2 does not allow and some WebCrypto implementations refuse.
 */
export function classifyKey(entry: unknown): KeyVerdict {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return skip(undefined, 'entry is not a JSON object');
  }
  const jwk = entry as Record<string, unknown>;
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') {
    return skip(undefined, 'kid is not a string');
  }
  const kid = jwk.kid as string | undefined;

  const problem = problemOf(jwk);
  if (problem !== undefined) return skip(kid, problem);

  const kty = jwk.kty as string;
  return {
    usable: true,
    key: Object.freeze({
      kid,
      kty,
      alg: typeof jwk.alg === 'string' ? jwk.alg : undefined,
      crv: typeof jwk.crv === 'string' ? jwk.crv : undefined,
      jwk: Object.freeze(unpadded(jwk)),
    }),
  };
}

/**
 * A member's value for a skip reason. A key set is untrusted JSON: `String()` of an object
 * whose `toString` member is not a function throws, and one bad key must not fail the set.
 */
function shown(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) return 'missing';
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** Why the key cannot verify signatures here, or `undefined` when it can. */
function problemOf(jwk: Record<string, unknown>): string | undefined {
  const { kty } = jwk;
  if (typeof kty !== 'string') return 'no kty';
  if (kty === 'oct') return 'symmetric key (kty oct): never used to verify';
  const algorithms = SIGNING_ALGORITHMS.get(kty);
  if (algorithms === undefined) return `unsupported key type "${kty}"`;

  // RFC 7517 §4.2, §4.3: a key published for encryption must not verify signatures.
  if (jwk.use !== undefined && jwk.use !== 'sig') return `use is ${shown(jwk.use)}, not "sig"`;
  if (jwk.key_ops !== undefined) {
    if (!Array.isArray(jwk.key_ops)) return 'key_ops is not an array';
    if (!jwk.key_ops.includes('verify')) return 'key_ops does not include "verify"';
  }
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) {
    return 'contains private or secret key material';
  }
  if (jwk.alg !== undefined) {
    if (typeof jwk.alg !== 'string') return 'alg is not a string';
    if (!algorithms.includes(jwk.alg)) {
      return `alg "${jwk.alg}" is not a signing algorithm for kty ${kty}`;
    }
  }

  if (kty === 'RSA') return rsaProblem(jwk);
  if (kty === 'EC') return ecProblem(jwk);
  return okpProblem(jwk);
}

function rsaProblem(jwk: Record<string, unknown>): string | undefined {
  if (jwk.n === undefined && jwk.e === undefined) {
    return Array.isArray(jwk.x5c) ? 'x5c certificate only, no n and e' : 'no n and e';
  }
  const modulus = decodeMember(jwk.n);
  if (!modulus) return 'n is not base64url';
  const exponent = decodeMember(jwk.e);
  if (!exponent) return 'e is not base64url';
  if (isZero(exponent)) return 'e is zero';

  const bits = bitLength(modulus);
  if (bits < MIN_RSA_BITS) return `RSA modulus of ${bits} bits is under ${MIN_RSA_BITS}`;
  if (bits > MAX_RSA_BITS) return `RSA modulus of ${bits} bits is over ${MAX_RSA_BITS}`;
  return undefined;
}

function ecProblem(jwk: Record<string, unknown>): string | undefined {
  const curve = typeof jwk.crv === 'string' ? EC_CURVES.get(jwk.crv) : undefined;
  if (curve === undefined) return `unsupported EC curve ${shown(jwk.crv)}`;
  if (typeof jwk.alg === 'string' && jwk.alg !== curve.alg) {
    return `alg "${jwk.alg}" does not match curve ${shown(jwk.crv)}`;
  }
  const x = decodeMember(jwk.x);
  const y = decodeMember(jwk.y);
  if (!x || !y) return 'x or y is not base64url';
  if (x.length !== curve.size || y.length !== curve.size) {
    return `x or y is not ${curve.size} bytes long`;
  }
  return undefined;
}

function okpProblem(jwk: Record<string, unknown>): string | undefined {
  // X25519 and X448 are key-agreement curves (RFC 8037 §3.2): an encryption key, whatever
  // its `use` or `alg` claim.
  if (jwk.crv === 'X25519' || jwk.crv === 'X448') {
    return `OKP curve ${jwk.crv} is for key agreement (encryption), not signatures`;
  }
  const size = typeof jwk.crv === 'string' ? OKP_CURVES.get(jwk.crv) : undefined;
  if (size === undefined) return `unsupported OKP curve ${shown(jwk.crv)}`;
  const x = decodeMember(jwk.x);
  if (!x) return 'x is not base64url';
  if (x.length !== size) return `x is not ${size} bytes long`;
  return undefined;
}

function skip(kid: string | undefined, reason: string): KeyVerdict {
  return { usable: false, skipped: Object.freeze({ kid, reason }) };
}

/**
 * Decodes a base64url member (RFC 7515 §2). Trailing `=` padding is tolerated (see
 * {@link classifyKey}); any other character outside the URL-safe alphabet is not.
 */
export function decodeMember(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/={1,2}$/, '');
  if (text.length === 0 || !/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) {
    return undefined;
  }
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Bit length of a big-endian unsigned integer; leading zero bytes do not count. */
function bitLength(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i] as number));
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

/** A copy of the JWK with `=` padding removed from its base64url key members. */
function unpadded(jwk: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...jwk };
  for (const member of ['n', 'e', 'x', 'y']) {
    const value = copy[member];
    if (typeof value === 'string') copy[member] = value.replace(/=+$/, '');
  }
  return copy;
}
