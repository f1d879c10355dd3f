/**
 * Describes a key-set document for a person: each key's facts (kid, type, algorithm, size or
 * curve, use), whether the gate can use it, and the warnings an operator should act on. Whether
 * a key is usable, and what a document that is not a JWK Set is, come from the core's own
 * parser (`shared/jwks`), so this report and the gate never disagree; the rest is advice.
 */
import { createHash } from 'node:crypto';
import { AuthError } from '../../shared/errors.ts';
import { classifyKey, parseKeySetDocument } from '../../shared/jwks/index.ts';

/** One key as the report shows it. */
export interface KeyReport {
  index: number;
  kid: string | undefined;
  kty: string | undefined;
  alg: string | undefined;
  /** `RSA 2048`, `P-256`, `Ed25519`, ... */
  size: string | undefined;
  use: string | undefined;
  keyOps: string[] | undefined;
  /** Whether the gate verifies with this key (the core's verdict). */
  usable: boolean;
  /** Why the gate skips it, when it does. */
  skippedBecause: string | undefined;
  warnings: string[];
}

/** The whole document. */
export interface KeySetReport {
  /** False when the document is not a JWK Set at all (RFC 7517 §5). */
  isJwkSet: boolean;
  keys: KeyReport[];
  /** Warnings about the set as a whole (not a set, duplicates, nothing usable). */
  warnings: string[];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Bit length of a big-endian unsigned integer in base64url (leading zero bytes ignored). */
function bitLength(encoded: string): number {
  const bytes = Buffer.from(encoded.replace(/=+$/, ''), 'base64url');
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(bytes[start] ?? 0));
}

function sizeOf(jwk: Record<string, unknown>): string | undefined {
  if (jwk.kty === 'RSA') {
    const n = str(jwk.n);
    return n !== undefined && /^[A-Za-z0-9_-]+=*$/.test(n) ? `RSA ${bitLength(n)}` : undefined;
  }
  return str(jwk.crv);
}

/** Advice beyond usability: things that work today but surprise someone later. */
function advice(jwk: Record<string, unknown>, usable: boolean): string[] {
  const warnings: string[] = [];
  if (jwk.kid === undefined) {
    warnings.push(
      'no kid: tried for tokens without a kid, or whose kid is not in the set (RFC 7517 §4.5)',
    );
  }
  const n = str(jwk.n);
  const e = str(jwk.e);
  if (n?.endsWith('=') || e?.endsWith('=')) {
    warnings.push(
      'n or e carries "=" padding, which base64url in JOSE does not have (RFC 7515 §2)',
    );
  }
  if (usable && e !== undefined && e !== 'AQAB') {
    warnings.push('RSA exponent is not 65537 (unusual, still valid)');
  }
  // RFC 7517 §4.8: x5t is the base64url SHA-1 of the DER of the first certificate.
  const x5t = str(jwk.x5t);
  const first = Array.isArray(jwk.x5c) ? str(jwk.x5c[0]) : undefined;
  if (x5t !== undefined && first !== undefined) {
    const thumbprint = createHash('sha1').update(Buffer.from(first, 'base64')).digest('base64url');
    if (thumbprint !== x5t) {
      warnings.push("x5t is not the SHA-1 thumbprint of the key's certificate (informational)");
    }
  }
  return warnings;
}

function describeKey(entry: unknown, index: number): KeyReport {
  const verdict = classifyKey(entry);
  const jwk =
    typeof entry === 'object' && entry !== null && !Array.isArray(entry)
      ? (entry as Record<string, unknown>)
      : {};
  const skippedBecause = verdict.usable ? undefined : verdict.skipped.reason;
  const warnings = advice(jwk, verdict.usable);
  if (skippedBecause !== undefined) warnings.unshift(`skipped by the gate: ${skippedBecause}`);
  return {
    index,
    kid: str(jwk.kid),
    kty: str(jwk.kty),
    alg: str(jwk.alg),
    size: sizeOf(jwk),
    use: str(jwk.use),
    keyOps: Array.isArray(jwk.key_ops) ? jwk.key_ops.map(String) : undefined,
    usable: verdict.usable,
    skippedBecause,
    warnings,
  };
}

/**
 * Top-level members of a wrapper document that are themselves JWK Sets (fixture files keep
 * several documents in one). Only those are worth `--member`: any other object would be
 * refused as "not a JWK Set" in its turn.
 */
function memberSets(document: unknown): string[] {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return [];
  return Object.entries(document)
    .filter(([, value]) => isJwkSetShape(value))
    .map(([name]) => name);
}

/** An object with a `keys` array: the shape RFC 7517 §5 gives a JWK Set. */
function isJwkSetShape(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Array.isArray((value as { keys?: unknown }).keys)
  );
}

/** The core parser's words for a body that is not a JWK Set. */
function notAKeySet(body: string, contentType: string | null, source: string): string {
  try {
    parseKeySetDocument(body, contentType, source);
    return 'not a JWK Set';
  } catch (error) {
    const message = error instanceof AuthError ? error.message : String(error);
    // Drop the core's "Key set at <url> is not usable: " lead; the report names the source.
    return message.replace(/^Key set at .*? is not usable: /, '');
  }
}

/**
 * Describes the body of a key-set response (or file). `source` names it in messages;
 * `contentType` helps tell an HTML page from broken JSON.
 */
export function describeKeySet(
  body: string,
  source: string,
  contentType: string | null = null,
): KeySetReport {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    document = undefined;
  }
  const keysMember = (document as { keys?: unknown } | null | undefined)?.keys;
  if (typeof document !== 'object' || document === null || !Array.isArray(keysMember)) {
    const warnings = [`not a JWK Set: ${notAKeySet(body, contentType, source)}`];
    const members = memberSets(document);
    if (members.length > 0) {
      const names = members.join(', ');
      warnings.push(`the file holds JWK Sets under ${names}: pick one with --member ${members[0]}`);
    }
    return { isJwkSet: false, keys: [], warnings };
  }

  const keys = keysMember.map(describeKey);
  const warnings: string[] = [];
  const counts = new Map<string, number>();
  for (const key of keys) {
    if (key.kid !== undefined) counts.set(key.kid, (counts.get(key.kid) ?? 0) + 1);
  }
  for (const [kid, count] of counts) {
    if (count < 2) continue;
    warnings.push(`duplicate kid "${kid}" (${count} keys): the key type and alg then decide`);
    for (const key of keys) if (key.kid === kid) key.warnings.push('duplicate kid');
  }
  const withoutAlg = keys.filter((key) => key.usable && key.alg === undefined).length;
  if (withoutAlg > 0) {
    // RFC 7517 §4.4: alg is optional; the issuer's allow-list then decides (C12).
    warnings.push(
      `${withoutAlg} usable key(s) without alg: the issuer's algorithm allow-list decides`,
    );
  }
  if (keys.length === 0) warnings.push('the set has no keys');
  else if (!keys.some((key) => key.usable)) {
    warnings.push('no key in the set can verify signatures: every token will be refused');
  }
  return { isJwkSet: true, keys, warnings };
}
