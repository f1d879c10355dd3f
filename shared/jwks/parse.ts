/**
 * Turns the body served at a key-set address into usable keys. A body that is not a JWK Set
 * (RFC 7517 §5) is an operator error, `key_set_invalid`, whose message says what was served
 * instead (HTML, a certificate map, a discovery document) and how to fix the address.
 * Individual unusable keys are skipped and listed, not fatal.
 */
import { AuthError } from '../errors.ts';
import type { SkippedKey, UsableKey } from '../types.ts';
import { classifyKey } from './usable.ts';

/** A parsed key set: the usable keys, the skipped ones, and the `keys` array as published. */
export interface ParsedKeySet {
  readonly keys: readonly UsableKey[];
  readonly skipped: readonly SkippedKey[];
  /** The `keys` array as published, for the store tier's snapshot. */
  readonly published: readonly Readonly<Record<string, unknown>>[];
}

/** Parses a response body fetched from `url` (named in error messages). */
export function parseKeySetDocument(
  body: string,
  contentType: string | null,
  url: string,
): ParsedKeySet {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    throw invalid(url, looksLikeHtml(body, contentType) ? htmlProblem() : 'the body is not JSON');
  }

  const problem = documentProblem(document);
  if (problem !== undefined) throw invalid(url, problem);
  return keysFrom((document as { keys: unknown[] }).keys, url);
}

/**
 * Classifies the entries of a `keys` array (from the network or a store snapshot). Throws
 * `key_set_invalid` when no entry is usable, listing why, since nothing could verify.
 */
export function keysFrom(entries: readonly unknown[], url: string): ParsedKeySet {
  const keys: UsableKey[] = [];
  const skipped: SkippedKey[] = [];
  const published: Readonly<Record<string, unknown>>[] = [];
  for (const entry of entries) {
    const verdict = classifyKey(entry);
    if (verdict.usable) keys.push(verdict.key);
    else skipped.push(verdict.skipped);
    if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
      published.push(entry as Record<string, unknown>);
    }
  }

  if (keys.length === 0) {
    const reasons = skipped.map((s) => `${s.kid ?? '(no kid)'}: ${s.reason}`).join('; ');
    throw invalid(
      url,
      entries.length === 0
        ? 'the JWK Set has no keys'
        : `the JWK Set has no key usable for signature verification (${reasons})`,
    );
  }
  return { keys, skipped, published };
}

/** Why a parsed JSON document is not a JWK Set, or `undefined` when it is one. */
function documentProblem(document: unknown): string | undefined {
  if (Array.isArray(document)) {
    return 'the body is a JSON array; a JWK Set is an object with a "keys" array (RFC 7517 §5)';
  }
  if (typeof document !== 'object' || document === null) {
    return 'the body is JSON but not an object; a JWK Set is an object with a "keys" array';
  }
  const record = document as Record<string, unknown>;
  if ('keys' in record) {
    return Array.isArray(record.keys) ? undefined : '"keys" is not an array (RFC 7517 §5.1)';
  }
  if ('jwks_uri' in record || 'authorization_endpoint' in record) {
    const jwksUri =
      typeof record.jwks_uri === 'string' ? ` (its jwks_uri is ${record.jwks_uri})` : '';
    return (
      `this is an OpenID configuration document, not a JWK Set${jwksUri}; ` +
      'set jwksUrl to its jwks_uri, or leave jwksUrl unset to discover it from the issuer'
    );
  }
  if (typeof record.kty === 'string') {
    return 'this is a single JWK, not a JWK Set; the address must serve {"keys": [...]}';
  }
  if (typeof record.jwks === 'object' && record.jwks !== null) {
    return 'the JWK Set is wrapped in a "jwks" member; point the address at the set itself';
  }
  if (isCertificateMap(record)) {
    return (
      'this is a map of key ids to PEM certificates (the format of Google oauth2/v1/certs and ' +
      'Firebase securetoken x509), not a JWK Set; use the JWK Set address the provider ' +
      'publishes beside it (for Google oauth2/v3/certs, for Firebase ' +
      'service_accounts/v1/jwk/securetoken@system.gserviceaccount.com)'
    );
  }
  return 'the body is JSON without a "keys" array, not a JWK Set (RFC 7517 §5)';
}

/** `{kid: "-----BEGIN CERTIFICATE-----..."}`: every value a PEM block. */
function isCertificateMap(record: Record<string, unknown>): boolean {
  const values = Object.values(record);
  return (
    values.length > 0 &&
    values.every((value) => typeof value === 'string' && value.trimStart().startsWith('-----BEGIN'))
  );
}

function looksLikeHtml(body: string, contentType: string | null): boolean {
  if (contentType?.toLowerCase().includes('html')) return true;
  return /^\s*</.test(body);
}

function htmlProblem(): string {
  return (
    'the body is HTML, not a JWK Set (a login, error or landing page: check that the address ' +
    'is the key-set endpoint itself)'
  );
}

function invalid(url: string, problem: string): AuthError {
  return new AuthError('key_set_invalid', `Key set at ${url} is not usable: ${problem}`);
}
