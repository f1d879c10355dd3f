/**
 * CASES.md C13 and C14 end to end through the cache and the loopback provider: a set with
 * unusable keys still verifies tokens of its good key, and a document that is not a JWK Set is
 * an operator error that maps to 503, not an unexplained 401.
 */
import { importJWK, jwtVerify } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, outcomeOf } from '../../../shared/errors.ts';
import { createKeySetCache } from '../../../shared/jwks/cache.ts';
import type { IssuerConfig, KeySetCache } from '../../../shared/types.ts';
import { makeKey, mint, type TestKey } from '../../fixtures/keys.ts';
import { type Provider, startProvider } from '../../fixtures/provider.ts';
import { authConfig, type Clock, clock, issuerConfig, realFile, runtime } from './support.ts';

let good: TestKey;
let other: TestKey;
let provider: Provider;
let time: Clock;
let issuer: IssuerConfig;
let cache: KeySetCache;

beforeAll(async () => {
  good = await makeKey('RS256', 'good');
  other = await makeKey('ES256', 'other');
});

beforeEach(async () => {
  provider = await startProvider();
  time = clock(Date.parse('2026-01-01T00:00:00Z'));
  issuer = issuerConfig(provider.url, `${provider.url}/jwks.json`);
  cache = createKeySetCache(authConfig([issuer]), runtime(time));
});

afterEach(async () => {
  await provider.close();
});

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('expected the lookup to fail');
}

describe('C13: one unusable key does not poison the set', () => {
  const poisoned = () => ({
    keys: [
      { kty: 'OKP', crv: 'Ed448', kid: 'ed448', x: 'A'.repeat(76) },
      good.publicJwk,
      { kty: 'AKP', alg: 'ML-DSA-65', kid: 'akp', pub: 'AAAA' },
      { kty: 'EC', crv: 'secp256k1', kid: 'k256', x: other.publicJwk.x, y: other.publicJwk.y },
      { ...good.publicJwk, kid: 'broken-n', n: `${good.publicJwk.n}+/` },
    ],
  });

  it('verifies a token signed by the good key with the key the cache returns', async () => {
    provider.route('/jwks.json', { body: poisoned() });
    const token = await mint(good, { iss: issuer.issuer, aud: 'api' }, { nowMs: time.now() });

    const { keys } = await cache.getKeys(issuer, 'good');
    const key = await importJWK(keys[0]?.jwk as never, 'RS256');
    const { payload } = await jwtVerify(token, key, { currentDate: new Date(time.now()) });

    expect(payload.iss).toBe(issuer.issuer);
  });

  it.each(['ed448', 'akp', 'k256', 'broken-n'])('answers key_unknown for kid %s', async (kid) => {
    provider.route('/jwks.json', { body: poisoned() });

    expect((await failure(cache.getKeys(issuer, kid))).code).toBe('key_unknown');
    expect(cache.hasKey(issuer, kid)).toBe(false);
  });

  it('reports the skipped keys once per fetch', async () => {
    provider.route('/jwks.json', { body: poisoned() });

    await cache.getKeys(issuer, 'good');
    const first = cache.status(issuer);
    await cache.getKeys(issuer, 'good');
    await failure(cache.getKeys(issuer, 'akp'));

    expect(first.skipped.map((s) => s.kid)).toEqual(['ed448', 'akp', 'k256', 'broken-n']);
    expect(cache.status(issuer).generation).toBe(first.generation);
    expect(provider.count('/jwks.json')).toBe(1);
  });
});

describe('C14: wrong document at the key-set address', () => {
  const google = () =>
    JSON.parse(realFile('jwks/google-certs-2020-12-v1-x509-v2-padded-v3-jwks.json'));

  it.each([
    ['a {kid: PEM certificate} map', () => JSON.stringify(google().v1_x509_map), 'PEM'],
    ['an OpenID configuration document', () => realFile('discovery/google.json'), 'OpenID'],
    [
      'a set whose key has only x5c',
      () => {
        const { n: _n, e: _e, ...rest } = good.publicJwk;
        return JSON.stringify({ keys: [{ ...rest, x5c: ['MIIBIjANBg=='] }] });
      },
      'x5c',
    ],
  ])('answers key_set_invalid (a 503) for %s', async (_name, body, mention) => {
    provider.route('/jwks.json', { body: body(), headers: { 'content-type': 'application/json' } });

    const error = await failure(cache.getKeys(issuer, 'good'));

    expect(error.code).toBe('key_set_invalid');
    expect(outcomeOf(error.code).kind).toBe('unavailable');
    expect(error.message).toContain(mention);
    expect(error.message).toContain(issuer.jwksUrl as string);
    expect(error.detail.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('remembers the operator error instead of refetching per request', async () => {
    provider.route('/jwks.json', { body: JSON.stringify(google().v1_x509_map) });

    for (let i = 0; i < 10; i++) await failure(cache.getKeys(issuer, 'good'));

    expect(provider.count('/jwks.json')).toBe(1);
  });
});
