/**
 * Reads a compact JWS without trusting it: the header and claims are decoded only to choose the
 * issuer and the key, and checked for shapes that must never reach the crypto layer (key
 * material named in the header, `crit`, `none`/HMAC algorithms, claims of the wrong type).
 * Nothing here decides that a token is valid; everything here may decide that it is not.
 */
import { decodeJwt } from 'jose';
import { isSymmetricOrNone } from './config/defaults.ts';
import { AuthError } from './errors.ts';

/** A decoded but unverified token. */
export interface UntrustedToken {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly alg: string;
  readonly kid: string | undefined;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Header members we refuse, by lower-case name, with why. Key material or where to fetch it
 * (RFC 7515 §4.1.3-4.1.6): trusting any of them lets the token pick its own key (CVE-2018-0114),
 * or makes us fetch an attacker's URL; keys come from the issuer's configured key set only.
 * `crit` (§4.1.11): we understand no extension, and an empty or non-array `crit` is itself
 * invalid. `enc` and `zip` belong to JWE (RFC 7516 §4.1.2-4.1.3): a JWS carrying them is a
 * confused or crafted token, and we never inflate anything.
 */
const REFUSED_MEMBERS: ReadonlyMap<string, string> = new Map([
  ['jwk', 'names key material (jwk)'],
  ['jku', 'names key material (jku)'],
  ['x5u', 'names key material (x5u)'],
  ['x5c', 'names key material (x5c)'],
  ['crit', 'carries crit'],
  ['enc', 'carries enc (JWE only)'],
  ['zip', 'carries zip (JWE only)'],
]);

function malformed(message: string, claim?: string): AuthError {
  return new AuthError('token_malformed', message, claim === undefined ? {} : { claim });
}

/**
 * Decodes and checks the protected header. The checks that need no configuration come first:
 * compact form, key material, `crit`, `alg` shape and the algorithms never accepted.
 * @throws AuthError `token_malformed`, `token_header_rejected`, `token_unsupported_algorithm`
 */
export function readHeader(token: string): {
  header: Readonly<Record<string, unknown>>;
  alg: string;
  kid: string | undefined;
} {
  return headerOf(splitCompact(token));
}

/** A character that is neither base64url nor the dot between segments. */
const NOT_COMPACT_CHARACTER = /[^A-Za-z0-9_.-]/;

/** The three segments of a compact JWS whose segments are all base64url. */
function splitCompact(token: string): string[] {
  // A well-formed token is decided by one search for a stray character and the places of its
  // two dots (three non-empty base64url segments); only a token that fails is taken apart below
  // to say what is wrong with it. The unanchored search for one character of the complement
  // runs about twice as fast as an anchored pattern over the whole token.
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (
    first > 0 &&
    second > first + 1 &&
    second < token.length - 1 &&
    token.indexOf('.', second + 1) < 0 &&
    !NOT_COMPACT_CHARACTER.test(token)
  ) {
    return [token.slice(0, first), token.slice(first + 1, second), token.slice(second + 1)];
  }
  const parts = token.split('.');
  // RFC 7515 §7.1: three parts. Five parts is a JWE (RFC 7516 §7.1), which we never accept.
  if (parts.length !== 3)
    malformedThrow(parts.length === 5 ? 'token is a JWE, not a JWS' : 'token is not a compact JWS');
  if (!BASE64URL.test(parts[0]!) || !BASE64URL.test(parts[1]!))
    malformedThrow('token segments are not base64url');
  if (parts[2] !== '' && !BASE64URL.test(parts[2]!))
    malformedThrow('token signature is not base64url');
  return parts;
}

/** A protected header that passed {@link checkHeader}: the same for every token it heads. */
interface CheckedHeader {
  readonly header: Readonly<Record<string, unknown>>;
  readonly alg: string;
  readonly kid: string | undefined;
}

/**
 * Headers that passed their checks, by encoded segment. An issuer writes the same header on
 * every token signed with one key, so the cold path decodes and checks it once per key rather
 * than once per token. Bounded because the segment is the sender's choice: a sender varying it
 * only refills the map; a header that fails its checks is never stored.
 */
const checkedHeaders = new Map<string, CheckedHeader>();
const CHECKED_HEADER_ENTRIES = 32;

/** The checked header of segments from {@link splitCompact}. */
function headerOf(parts: readonly string[]): CheckedHeader {
  const segment = parts[0]!;
  let checked = checkedHeaders.get(segment);
  if (checked === undefined) {
    checked = checkHeader(segment);
    if (checkedHeaders.size >= CHECKED_HEADER_ENTRIES) checkedHeaders.clear();
    checkedHeaders.set(segment, checked);
  }
  if (parts[2] === '') malformedThrow('token has no signature');
  return checked;
}

/** Decodes a header segment and applies every check that depends on the header alone. */
function checkHeader(segment: string): CheckedHeader {
  const header = decodeSegment(segment);
  if (header === undefined) throw malformed('token header is not a JSON object');
  // Names are compared in any case: member names are case-sensitive (RFC 7515 §4), so `JWK`
  // means nothing to us, but a library on the origin side that folds case would read it as
  // `jwk`. No issuer writes such a spelling, so refusing it costs nothing.
  for (const name of Object.keys(header)) {
    const lower = name.toLowerCase();
    const refused = REFUSED_MEMBERS.get(lower);
    if (refused !== undefined) {
      throw new AuthError('token_header_rejected', `token header ${refused}`, { claim: lower });
    }
    // RFC 7797 §6: `b64: false` is only meaningful under `crit`, which is refused; a `b64`
    // other than `true` without it is invalid, and a reader that honoured it would check a
    // different payload than we decode.
    if (lower === 'b64' && (name !== 'b64' || header[name] !== true)) {
      throw new AuthError('token_header_rejected', 'token header carries b64 other than true', {
        claim: 'b64',
      });
    }
  }
  const { alg, kid } = header;
  if (typeof alg !== 'string' || alg === '')
    throw malformed('token header alg is not a string', 'alg');
  // RFC 8725 §3.1/§3.2: never `none`, and never an HMAC checked against a public key (C01).
  if (isSymmetricOrNone(alg)) {
    throw new AuthError('token_unsupported_algorithm', 'token alg is none or symmetric', {
      claim: 'alg',
    });
  }
  if (kid !== undefined && typeof kid !== 'string')
    throw malformed('token header kid is not a string', 'kid');
  // Shared by every token with this header, so no caller may change it.
  return Object.freeze({ header: Object.freeze(header), alg, kid });
}

function malformedThrow(message: string): never {
  throw malformed(message);
}

/** What `jose` decodes segments with: UTF-8 that is not well-formed is an error, not U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** A byte above 0x7f in the binary string `atob` returns: not ASCII, so UTF-8 decoding matters. */
const NON_ASCII = /[\x80-\xff]/;

/**
 * A base64url segment (already checked against {@link BASE64URL}) decoded as a JSON object,
 * or `undefined` when it is not one. It accepts exactly what `jose`'s decoders accept (base64url
 * without padding, strict UTF-8, a JSON object), in one pass: for an ASCII segment, which any
 * issuer's header is, the decoded binary string already is the UTF-8 text.
 */
function decodeSegment(segment: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    const binary = atob(segment.replace(/-/g, '+').replace(/_/g, '/'));
    let text = binary;
    if (NON_ASCII.test(binary)) {
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      text = UTF8.decode(bytes);
    }
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}

/**
 * Decodes the claims and checks the types of the claims we read before verification, so a
 * wrong type becomes `token_malformed` instead of a surprise deeper down (C06): `exp` is
 * required and must be a finite number (JSON `1e309` parses to Infinity), `nbf` and `iat`
 * likewise when present, `iss` and `sub` strings, `aud` a string or an array of strings.
 * @throws AuthError `token_malformed`, `token_expired` (no `exp`), `claim_missing` (no `iss`),
 * `audience_invalid` (an `aud` of another type)
 */
export function readPayload(token: string): Readonly<Record<string, unknown>> {
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(token) as Record<string, unknown>;
  } catch {
    throw malformed('token claims are not a JSON object');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw malformed('token claims are not a JSON object');
  }
  return checkClaims(payload);
}

/** 9999-12-31T23:59:59Z in seconds: the last instant RFC 3339 can write. */
const MAX_NUMERIC_DATE = 253_402_300_799;

/** The claim type checks of {@link readPayload}, on a decoded claims object. */
function checkClaims(payload: Record<string, unknown>): Readonly<Record<string, unknown>> {
  if (!Object.hasOwn(payload, 'exp')) {
    throw new AuthError('token_expired', 'token has no exp', { claim: 'exp' });
  }
  for (const claim of ['exp', 'nbf', 'iat'] as const) {
    if (!Object.hasOwn(payload, claim)) continue;
    const value = payload[claim];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw malformed(`token ${claim} is not a finite number`, claim);
    }
    // A NumericDate (RFC 7519 §2) past year 9999 is no date any issuer writes: `exp: 1e19`
    // would be a token that never expires, and overflows verifiers that convert to int64.
    if (value > MAX_NUMERIC_DATE) {
      throw malformed(`token ${claim} is beyond the year 9999`, claim);
    }
  }
  if (!Object.hasOwn(payload, 'iss'))
    throw new AuthError('claim_missing', 'token has no iss', { claim: 'iss' });
  if (typeof payload.iss !== 'string') throw malformed('token iss is not a string', 'iss');
  if (payload.sub !== undefined && typeof payload.sub !== 'string')
    throw malformed('token sub is not a string', 'sub');
  // RFC 7519 §4.1.3: one StringOrURI or an array of them. `jose` accepts `["api", 5]` when one
  // member matches; a member of another type means the issuer did not write this claim.
  const { aud } = payload;
  if (
    aud !== undefined &&
    typeof aud !== 'string' &&
    !(Array.isArray(aud) && aud.every((member) => typeof member === 'string'))
  ) {
    throw new AuthError('audience_invalid', 'token aud is not a string or an array of strings', {
      claim: 'aud',
    });
  }
  return payload;
}

/**
 * Reads header and claims together, with the checks of {@link readHeader} then
 * {@link readPayload} in that order, splitting and decoding the token once.
 */
export function readToken(token: string): UntrustedToken {
  const parts = splitCompact(token);
  const { header, alg, kid } = headerOf(parts);
  const payload = decodeSegment(parts[1]!);
  if (payload === undefined) throw malformed('token claims are not a JSON object');
  return { header, payload: checkClaims(payload), alg, kid };
}
