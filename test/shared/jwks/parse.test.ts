import { beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../../shared/errors.ts';
import { parseKeySetDocument } from '../../../shared/jwks/parse.ts';
import { classifyKey } from '../../../shared/jwks/usable.ts';
import { makeKey, type TestKey } from '../../fixtures/keys.ts';
import { realFile } from './support.ts';

const URL = 'https://issuer.example/jwks.json';

let rsa: TestKey;
let ec: TestKey;
let ed: TestKey;

beforeAll(async () => {
  rsa = await makeKey('RS256', 'rsa');
  ec = await makeKey('ES256', 'ec');
  ed = await makeKey('EdDSA', 'ed');
});

function parse(document: unknown, contentType = 'application/json') {
  const body = typeof document === 'string' ? document : JSON.stringify(document);
  return parseKeySetDocument(body, contentType, URL);
}

function invalidMessage(document: unknown, contentType?: string): string {
  try {
    parse(document, contentType);
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('key_set_invalid');
    return (error as AuthError).message;
  }
  throw new Error('expected key_set_invalid');
}

function reasonFor(jwk: Record<string, unknown>): string {
  const verdict = classifyKey(jwk);
  if (verdict.usable) throw new Error(`expected ${JSON.stringify(jwk)} to be skipped`);
  return verdict.skipped.reason;
}

describe('documents that are not a JWK Set (C14)', () => {
  it('names a {kid: PEM certificate} map as such and points to the JWK Set address', () => {
    const certificates = JSON.parse(
      realFile('jwks/google-certs-2020-12-v1-x509-v2-padded-v3-jwks.json'),
    );
    const message = invalidMessage(certificates.v1_x509_map);

    expect(message).toContain('PEM certificates');
    expect(message).toContain(URL);
  });

  it('names an OpenID configuration document and its jwks_uri', () => {
    const message = invalidMessage(realFile('discovery/google.json'));

    expect(message).toContain('OpenID configuration document');
    expect(message).toContain('https://www.googleapis.com/oauth2/v3/certs');
  });

  it('names an HTML page', () => {
    expect(invalidMessage('<!doctype html><title>Sign in</title>', 'text/html')).toContain('HTML');
    expect(invalidMessage('\n  <html></html>', 'application/json')).toContain('HTML');
  });

  it('rejects "keys" that is not an array', () => {
    expect(invalidMessage({ keys: 'x' })).toContain('"keys" is not an array');
    expect(invalidMessage({ keys: { kid: 'a' } })).toContain('"keys" is not an array');
  });

  it('rejects bodies that are not JSON objects', () => {
    expect(invalidMessage('not json at all', 'text/plain')).toContain('not JSON');
    expect(invalidMessage([rsa.publicJwk])).toContain('JSON array');
    expect(invalidMessage('null')).toContain('not an object');
    expect(invalidMessage({ issuer: 'x' })).toContain('without a "keys" array');
  });

  it('names a single JWK and a set wrapped in another member', () => {
    expect(invalidMessage(rsa.publicJwk)).toContain('single JWK');
    expect(invalidMessage({ jwks: { keys: [rsa.publicJwk] } })).toContain('wrapped');
  });

  it('rejects an empty body and truncated JSON as not JSON', () => {
    expect(invalidMessage('', 'application/json')).toContain('not JSON');
    expect(invalidMessage('{"keys":[{"kty":"RSA"', 'application/json')).toContain('not JSON');
  });

  it('rejects a PEM public key served in place of the set', () => {
    const pem =
      '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n';
    expect(invalidMessage(pem, 'application/x-pem-file')).toContain('not JSON');
  });

  it('rejects a set whose only key has x5c and no n/e, saying why', () => {
    const { n: _n, e: _e, ...rest } = rsa.publicJwk;
    const message = invalidMessage({ keys: [{ ...rest, x5c: ['MIIB'] }] });

    expect(message).toContain('no key usable');
    expect(message).toContain('x5c certificate only');
  });

  it('rejects an empty set', () => {
    expect(invalidMessage({ keys: [] })).toContain('has no keys');
  });

  it('never puts anything but the address and the reason in the message', () => {
    const message = invalidMessage({ keys: 'eyJhbGciOiJSUzI1NiJ9.secret.sig' });
    expect(message).not.toContain('eyJ');
  });
});

describe('unusable keys are skipped, the rest kept (C13)', () => {
  it('keeps the good key beside Ed448, AKP, secp256k1 and a broken-n RSA key', () => {
    const set = parse({
      keys: [
        rsa.publicJwk,
        { kty: 'OKP', crv: 'Ed448', kid: 'ed448', x: 'A'.repeat(76) },
        { kty: 'AKP', alg: 'ML-DSA-44', kid: 'akp', pub: 'AAAA' },
        { ...ec.publicJwk, kid: 'k256', crv: 'secp256k1', alg: undefined },
        { ...rsa.publicJwk, kid: 'broken', n: 'not*base64url!' },
      ],
    });

    expect(set.keys.map((k) => k.kid)).toEqual(['rsa']);
    expect(set.skipped).toEqual([
      { kid: 'ed448', reason: 'unsupported OKP curve "Ed448"' },
      { kid: 'akp', reason: 'unsupported key type "AKP"' },
      { kid: 'k256', reason: 'unsupported EC curve "secp256k1"' },
      { kid: 'broken', reason: 'n is not base64url' },
    ]);
    expect(set.published).toHaveLength(5);
  });

  it('keeps the good key beside members whose values cannot be turned into text', () => {
    // JSON can give an object whose own `toString` is not a function: `String()` of it throws.
    const opaque = JSON.parse('{"toString":false,"valueOf":null}');
    const set = parse({
      keys: [
        { ...rsa.publicJwk, kid: 'use', use: opaque },
        { ...ec.publicJwk, kid: 'ec-crv', crv: opaque, alg: undefined },
        { ...ed.publicJwk, kid: 'okp-crv', crv: [opaque], alg: undefined },
        rsa.publicJwk,
      ],
    });

    expect(set.keys.map((k) => k.kid)).toEqual(['rsa']);
    expect(set.skipped.map((s) => s.reason)).toEqual([
      'use is an object, not "sig"',
      'unsupported EC curve an object',
      'unsupported OKP curve an array',
    ]);
  });

  it('keeps RSA, P-256 and Ed25519 keys as published', () => {
    const set = parse({ keys: [rsa.publicJwk, ec.publicJwk, ed.publicJwk] });

    expect(set.keys.map((k) => [k.kid, k.kty, k.alg, k.crv])).toEqual([
      ['rsa', 'RSA', 'RS256', undefined],
      ['ec', 'EC', 'ES256', 'P-256'],
      ['ed', 'OKP', 'EdDSA', 'Ed25519'],
    ]);
    expect(set.keys[0]?.jwk).toEqual(rsa.publicJwk);
  });

  it('skips encryption keys by use, key_ops or alg', () => {
    expect(reasonFor({ ...rsa.publicJwk, use: 'enc' })).toBe('use is "enc", not "sig"');
    expect(reasonFor({ ...rsa.publicJwk, key_ops: ['encrypt'] })).toContain('key_ops');
    expect(reasonFor({ ...rsa.publicJwk, use: undefined, alg: 'RSA-OAEP' })).toContain(
      'not a signing algorithm',
    );
    // An X25519 key is for key agreement even when it claims to sign.
    const x25519 = { kty: 'OKP', crv: 'X25519', x: ed.publicJwk.x, use: 'sig', alg: 'EdDSA' };
    expect(reasonFor(x25519)).toContain('key agreement');
  });

  it('skips symmetric keys and keys with private material', () => {
    expect(reasonFor({ kty: 'oct', kid: 'h', k: 'c2VjcmV0' })).toContain('symmetric');
    expect(reasonFor({ ...rsa.publicJwk, d: 'AQAB' })).toContain('private');
  });

  it('skips RSA keys under 2048 bits, counting bits not bytes', async () => {
    // jose refuses to generate short keys, so WebCrypto makes this one.
    const pair = (await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);

    expect(reasonFor({ ...jwk, kid: 'short' })).toBe('RSA modulus of 1024 bits is under 2048');
    const mongo = JSON.parse(realFile('jwks/mongodb-test-custom-keys.json'));
    expect(reasonFor(mongo.keys[2])).toBe('RSA modulus of 2040 bits is under 2048');
    expect(classifyKey(mongo.keys[0]).usable).toBe(true);
  });

  it('skips keys with an unknown kty, no kty, or a non-string kid', () => {
    expect(reasonFor({ kty: 'XYZ', kid: 'x' })).toBe('unsupported key type "XYZ"');
    expect(reasonFor({ kid: 'x' })).toBe('no kty');
    expect(reasonFor({ ...rsa.publicJwk, kid: 42 })).toBe('kid is not a string');
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'skips keys whose kty or crv is %s, a name every object literal answers to',
    (name) => {
      const keys = [
        { kty: name, kid: 'a', alg: 'RS256', n: rsa.publicJwk.n, e: 'AQAB' },
        { kty: name, kid: 'b', crv: 'Ed25519', x: ed.publicJwk.x },
        { kty: 'EC', kid: 'c', crv: name, x: ec.publicJwk.x, y: ec.publicJwk.y },
        { kty: 'OKP', kid: 'd', crv: name, x: ed.publicJwk.x },
        { kty: 'EC', kid: 'e', crv: name, alg: 'ES256', x: ec.publicJwk.x, y: ec.publicJwk.y },
      ];
      // Parsed from JSON text, so `__proto__` is an own member as a provider's body would give.
      const set = parse(
        `{"keys":[${[rsa.publicJwk, ...keys].map((k) => JSON.stringify(k)).join(',')}]}`,
      );
      expect(set.keys.map((k) => k.kid)).toEqual(['rsa']);
      expect(set.skipped.map((k) => k.kid)).toEqual(['a', 'b', 'c', 'd', 'e']);
      for (const skipped of set.skipped) expect(skipped.reason).toMatch(/^unsupported/);
    },
  );

  it('skips an alg that does not fit the key', () => {
    expect(reasonFor({ ...rsa.publicJwk, alg: 'HS256' })).toContain('not a signing algorithm');
    expect(reasonFor({ ...ec.publicJwk, alg: 'ES384' })).toContain('does not match curve');
  });

  it('skips EC and OKP keys with coordinates of the wrong length', () => {
    expect(reasonFor({ ...ec.publicJwk, x: 'AAAA' })).toContain('32 bytes');
    expect(reasonFor({ ...ed.publicJwk, x: 'AAAA' })).toContain('32 bytes');
  });

  it('skips keys that cannot verify for other reasons', () => {
    const { e: _e, ...noExponent } = rsa.publicJwk;
    expect(reasonFor(noExponent)).toBe('e is not base64url');
    expect(reasonFor({ ...rsa.publicJwk, e: 'AA' })).toBe('e is zero');
    expect(reasonFor({ kty: 'OKP', crv: 'X25519', kid: 'dh', x: ed.publicJwk.x })).toContain(
      'X25519',
    );
    expect(reasonFor({ ...ec.publicJwk, use: 'enc' })).toContain('"enc"');
    expect(reasonFor({ ...rsa.publicJwk, alg: 'none' })).toContain('not a signing algorithm');
    expect(reasonFor({ ...ec.publicJwk, key_ops: ['sign'] })).toContain('verify');
    expect(reasonFor({ ...ec.publicJwk, key_ops: 'verify' })).toContain('not an array');
    expect(reasonFor({ ...rsa.publicJwk, n: '' })).toBe('n is not base64url');
    expect(reasonFor({ ...rsa.publicJwk, n: 'A' })).toBe('n is not base64url');
  });

  it('skips entries that are not objects', () => {
    const set = parse({ keys: [rsa.publicJwk, 'x', null, [1]] });
    expect(set.keys).toHaveLength(1);
    expect(set.skipped.map((s) => s.reason)).toEqual([
      'entry is not a JSON object',
      'entry is not a JSON object',
      'entry is not a JSON object',
    ]);
  });

  it('removes = padding from n so the key imports everywhere (Google v2 certs)', () => {
    const google = JSON.parse(realFile('jwks/google-certs-2020-12-v1-x509-v2-padded-v3-jwks.json'));
    const padded = parse(google.v2_jwks_padded_n);
    const plain = parse(google.v3_jwks);

    expect(google.v2_jwks_padded_n.keys[0].n).toMatch(/=$/);
    expect(padded.keys.map((k) => k.jwk.n)).toEqual(plain.keys.map((k) => k.jwk.n));
  });
});
