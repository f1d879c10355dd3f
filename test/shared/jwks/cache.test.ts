import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../../shared/errors.ts';
import { createKeySetCache } from '../../../shared/jwks/cache.ts';
import type { IssuerConfig } from '../../../shared/types.ts';
import { jwks, makeKey, type TestKey } from '../../fixtures/keys.ts';
import { type Provider, startProvider } from '../../fixtures/provider.ts';
import { authConfig, type Clock, clock, issuerConfig, memoryStore, runtime } from './support.ts';

let k1: TestKey;
let k2: TestKey;
let provider: Provider;
let time: Clock;
let issuer: IssuerConfig;

beforeAll(async () => {
  k1 = await makeKey('RS256', 'k1');
  k2 = await makeKey('ES256', 'k2');
});

beforeEach(async () => {
  provider = await startProvider();
  provider.route('/jwks.json', { body: jwks(k1), headers: { 'cache-control': 'max-age=600' } });
  time = clock(1_700_000_000_000);
  issuer = issuerConfig(provider.url, `${provider.url}/jwks.json`);
});

afterEach(async () => {
  await provider.close();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
  return 'none';
}

describe('key-set cache tiers', () => {
  it('fetches once on a cold lookup and serves later lookups from memory', async () => {
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));

    const first = await cache.getKeys(issuer, 'k1');
    time.advance(300);
    const second = await cache.getKeys(issuer, 'k1');

    expect(first.cache).toBe('miss');
    expect(first.keys.map((k) => k.kid)).toEqual(['k1']);
    expect(second.cache).toBe('hit');
    expect(provider.count('/jwks.json')).toBe(1);
    expect(cache.stats()).toMatchObject({ misses: 1, hits: 1, fetches: 1 });
  });

  it('returns every usable key when the token names no kid', async () => {
    provider.route('/jwks.json', { body: jwks(k1, k2) });
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));

    const lookup = await cache.getKeys(issuer, undefined);

    expect(lookup.keys.map((k) => k.kid)).toEqual(['k1', 'k2']);
  });

  it('refetches once the set is no longer fresh and reports it as refreshed', async () => {
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));
    await cache.getKeys(issuer, 'k1');

    time.advance(601);
    const lookup = await cache.getKeys(issuer, 'k1');

    expect(lookup.cache).toBe('refreshed');
    expect(provider.count('/jwks.json')).toBe(2);
  });

  it('serves a fresh isolate from the store tier without any fetch', async () => {
    const store = memoryStore();
    const warm = createKeySetCache(authConfig([issuer]), runtime(time, { store }));
    await warm.getKeys(issuer, 'k1');
    provider.resetCounts();

    const fresh = createKeySetCache(authConfig([issuer]), runtime(time, { store }));
    const lookup = await fresh.getKeys(issuer, 'k1');

    expect(lookup.cache).toBe('hit');
    expect(provider.count()).toBe(0);
    expect(fresh.stats()).toMatchObject({ storeHits: 1, fetches: 0 });
  });

  it('hands the store write to waitUntil when the runtime has one', async () => {
    const store = memoryStore();
    const pending: Promise<unknown>[] = [];
    const cache = createKeySetCache(
      authConfig([issuer]),
      runtime(time, { store, waitUntil: (p) => void pending.push(p) }),
    );

    await cache.getKeys(issuer, 'k1');
    expect(pending).toHaveLength(1);
    await Promise.all(pending);

    expect(store.writes).toBe(1);
    expect(store.data.get(issuer.jwksUrl as string)?.keys).toEqual([k1.publicJwk]);
  });

  it('throws key_unknown for a kid missing after the refetch', async () => {
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));

    expect(await codeOf(cache.getKeys(issuer, 'nope'))).toBe('key_unknown');
    expect(provider.count('/jwks.json')).toBe(1);
    expect(cache.hasKey(issuer, 'k1')).toBe(true);
    expect(cache.hasKey(issuer, 'nope')).toBe(false);
  });
});
