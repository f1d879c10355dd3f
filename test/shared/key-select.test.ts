import { beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../shared/errors.ts';
import {
  importKey,
  keyFitsAlgorithm,
  MAX_CANDIDATE_KEYS,
  selectKeys,
} from '../../shared/key-select.ts';
import type { UsableKey } from '../../shared/types.ts';
import { makeKey } from '../fixtures/keys.ts';
import { usable } from './fixtures/key-source.ts';
import { weakRsaKey } from './fixtures/tokens.ts';

let rsa: UsableKey;
let ec: UsableKey;
beforeAll(async () => {
  rsa = usable({ ...(await makeKey('RS256', 'r', { publishAlg: false })).publicJwk });
  ec = usable({ ...(await makeKey('ES256', 'e')).publicJwk });
});

describe('keyFitsAlgorithm', () => {
  it('matches key type, curve and declared alg to the algorithm', () => {
    expect(
      ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'].every((alg) =>
        keyFitsAlgorithm(rsa, alg),
      ),
    ).toBe(true);
    expect(keyFitsAlgorithm(rsa, 'ES256')).toBe(false);
    expect(keyFitsAlgorithm(ec, 'ES256')).toBe(true);
    expect(keyFitsAlgorithm(ec, 'ES384')).toBe(false);
    expect(keyFitsAlgorithm(ec, 'HS256')).toBe(false);
    expect(keyFitsAlgorithm(ec, 'none')).toBe(false);
  });

  it('refuses RSA moduli under 2048 bits, counting bits after leading zero bytes', async () => {
    const weak = usable((await weakRsaKey('w')).publicJwk as Record<string, unknown>);
    expect(keyFitsAlgorithm(weak, 'RS256')).toBe(false);
    const n = Buffer.from(String(rsa.jwk.n), 'base64url');
    const padded = usable({
      ...rsa.jwk,
      n: Buffer.concat([Buffer.from([0]), n]).toString('base64url'),
    });
    expect(keyFitsAlgorithm(padded, 'RS256')).toBe(true);
    const short = usable({ ...rsa.jwk, n: n.subarray(1).toString('base64url') });
    expect(keyFitsAlgorithm(short, 'RS256')).toBe(false);
    expect(keyFitsAlgorithm(usable({ ...rsa.jwk, n: 'not base64url!' }), 'RS256')).toBe(false);
    expect(keyFitsAlgorithm(usable({ ...rsa.jwk, n: 42 }), 'RS256')).toBe(false);
  });
});

describe('selectKeys', () => {
  it('never returns a key named by another kid', () => {
    expect(
      selectKeys([rsa, usable({ ...rsa.jwk, kid: undefined })], 'RS256', 'other').map((k) => k.kid),
    ).toEqual([undefined]);
  });

  it(`throws key_unknown beyond ${MAX_CANDIDATE_KEYS} candidates and for none`, () => {
    const many = Array.from({ length: MAX_CANDIDATE_KEYS + 1 }, () => rsa);
    expect(() => selectKeys(many, 'RS256', undefined)).toThrow(AuthError);
    expect(selectKeys(many.slice(1), 'RS256', undefined)).toHaveLength(MAX_CANDIDATE_KEYS);
    expect(() => selectKeys([ec], 'RS256', undefined)).toThrowError(
      expect.objectContaining({ code: 'key_unknown' }),
    );
  });
});

describe('importKey', () => {
  it('imports once per key and algorithm and leaves the published JWK unchanged', async () => {
    const before = JSON.stringify(rsa.jwk);
    const first = await importKey(rsa, 'RS256');
    expect(await importKey(rsa, 'RS256')).toBe(first);
    const pss = await importKey(rsa, 'PS256');
    expect(pss).not.toBe(first);
    expect(pss.algorithm.name).toBe('RSA-PSS');
    expect(JSON.stringify(rsa.jwk)).toBe(before);
  });

  it('throws key_unknown for key material WebCrypto refuses', async () => {
    const broken = usable({ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', kid: 'b' });
    await expect(importKey(broken, 'ES256')).rejects.toMatchObject({ code: 'key_unknown' });
  });
});
