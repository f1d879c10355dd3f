/**
 * CASES.md C15: key rotation and random kids, with the case's numbers: the set is fresh for
 * 10 minutes and unknown-kid refetches cool down for 30 s per issuer.
 */
import { compactVerify, importJWK } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../../shared/errors.ts';
import { createKeySetCache } from '../../../shared/jwks/cache.ts';
import type { IssuerConfig } from '../../../shared/types.ts';
import { jwks, makeKey, type TestKey } from '../../fixtures/keys.ts';
import { type Provider, startProvider } from '../../fixtures/provider.ts';
import {
  authConfig,
  type Clock,
  clock,
  issuerConfig,
  memoryStore,
  realFile,
  runtime,
} from './support.ts';

const FRESH = { 'cache-control': 'max-age=600' };
const C15 = { defaultMaxAgeSeconds: 600, unknownKidCooldownSeconds: 30 };

let k1: TestKey;
let k2: TestKey;
let provider: Provider;
let time: Clock;
let issuer: IssuerConfig;

beforeAll(async () => {
  k1 = await makeKey('RS256', 'k1');
  k2 = await makeKey('RS256', 'k2');
});

beforeEach(async () => {
  provider = await startProvider();
  provider.route('/jwks.json', { body: jwks(k1), headers: FRESH });
  // The clock starts at 0: a cooldown that treats "never" as time 0 would trip here.
  time = clock(0);
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
  return 'found';
}

const fetches = () => provider.count('/jwks.json');

describe.each([true, false])('rotation and random kids (shareInFlight %s)', (shareInFlight) => {
  it('refetches exactly once for a rotated kid at t0+40 s and accepts it', async () => {
    const cache = createKeySetCache(authConfig([issuer], C15), runtime(time, { shareInFlight }));
    await cache.getKeys(issuer, 'k1');
    provider.route('/jwks.json', { body: jwks(k1, k2), headers: FRESH });

    time.advance(40);
    const lookup = await cache.getKeys(issuer, 'k2');

    expect(lookup.cache).toBe('refreshed');
    expect(lookup.keys.map((k) => k.kid)).toEqual(['k2']);
    expect(fetches()).toBe(2);
  });

  it('spends at most a few fetches on 1000 random kids between t0+60 s and t0+120 s', async () => {
    const cache = createKeySetCache(authConfig([issuer], C15), runtime(time, { shareInFlight }));
    await cache.getKeys(issuer, 'k1');
    provider.route('/jwks.json', { body: jwks(k1, k2), headers: FRESH });
    time.advance(40);
    await cache.getKeys(issuer, 'k2');
    const before = fetches();

    time.set(60_000);
    const codes = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      codes.add(await codeOf(cache.getKeys(issuer, crypto.randomUUID())));
      time.advance(0.06);
    }

    expect([...codes]).toEqual(['key_unknown']);
    // The last fetch was at 40 s; with a 30 s cooldown only 70 s and 100 s may refetch.
    expect(fetches() - before).toBe(2);
    expect((await cache.getKeys(issuer, 'k1')).cache).toBe('hit');
  });

  it('spends one fetch on 1000 concurrent random kids', async () => {
    const cache = createKeySetCache(authConfig([issuer], C15), runtime(time, { shareInFlight }));
    await cache.getKeys(issuer, 'k1');
    time.advance(31);

    const codes = await Promise.all(
      Array.from({ length: 1000 }, () => codeOf(cache.getKeys(issuer, crypto.randomUUID()))),
    );

    expect(new Set(codes)).toEqual(new Set(['key_unknown']));
    expect(fetches()).toBe(2);
  });

  it('gives a cold start with an unknown kid in its first second its one fetch', async () => {
    const cache = createKeySetCache(authConfig([issuer], C15), runtime(time, { shareInFlight }));
    provider.route('/jwks.json', { body: jwks(k1, k2), headers: FRESH });

    time.advance(0.4);
    const lookup = await cache.getKeys(issuer, 'k2');

    expect(lookup.cache).toBe('miss');
    expect(fetches()).toBe(1);
  });

  it('answers key_unknown after the cold fetch when the kid is absent, with no second fetch', async () => {
    const cache = createKeySetCache(authConfig([issuer], C15), runtime(time, { shareInFlight }));

    expect(await codeOf(cache.getKeys(issuer, 'k9'))).toBe('key_unknown');
    time.advance(0.5);
    expect(await codeOf(cache.getKeys(issuer, 'k8'))).toBe('key_unknown');

    expect(fetches()).toBe(1);
  });

  it('lets a fresh isolate served by the store refetch for an unknown kid at once', async () => {
    const store = memoryStore();
    const warm = createKeySetCache(authConfig([issuer], C15), runtime(time, { store }));
    await warm.getKeys(issuer, 'k1');
    provider.route('/jwks.json', { body: jwks(k1, k2), headers: FRESH });

    time.advance(0.5);
    const fresh = createKeySetCache(
      authConfig([issuer], C15),
      runtime(time, { store, shareInFlight }),
    );
    const lookup = await fresh.getKeys(issuer, 'k2');

    expect(lookup.keys.map((k) => k.kid)).toEqual(['k2']);
    expect(fetches()).toBe(2);
  });

  it('forgets a key the provider removed once the set is refetched', async () => {
    provider.route('/jwks.json', { body: jwks(k1, k2), headers: FRESH });
    const cache = createKeySetCache(authConfig([issuer], C15), runtime(time, { shareInFlight }));
    await cache.getKeys(issuer, 'k1');
    provider.route('/jwks.json', { body: jwks(k2), headers: FRESH });

    time.advance(601);
    await cache.getKeys(issuer, 'k2');

    expect(cache.hasKey(issuer, 'k1')).toBe(false);
    expect(await codeOf(cache.getKeys(issuer, 'k1'))).toBe('key_unknown');
  });

  it('rate-limits unknown kids per issuer, not across issuers', async () => {
    provider.route('/other.json', { body: jwks(k2), headers: FRESH });
    const other = issuerConfig(`${provider.url}/other`, `${provider.url}/other.json`);
    const cache = createKeySetCache(
      authConfig([issuer, other], C15),
      runtime(time, { shareInFlight }),
    );
    await cache.getKeys(issuer, 'k1');
    await cache.getKeys(other, 'k2');
    time.advance(31);

    await codeOf(cache.getKeys(issuer, 'x'));
    await codeOf(cache.getKeys(other, 'y'));

    expect(fetches()).toBe(2);
    expect(provider.count('/other.json')).toBe(2);
  });
});

describe('keys published without a kid', () => {
  const clerk = JSON.parse(realFile('tokens/clerk-sdk-fixture-tokens.json')) as {
    tokens: { id: string; token: string; key: { jwk?: Record<string, unknown> } }[];
  };
  const kidless = clerk.tokens.find((t) => t.id.includes('without-kid'));

  it('offers a kid-less key to a token naming any kid, without refetching', async () => {
    provider.route('/jwks.json', { body: { keys: [kidless?.key.jwk] }, headers: FRESH });
    const cache = createKeySetCache(authConfig([issuer], C15), runtime(time));

    const lookup = await cache.getKeys(issuer, 'ins_2GIoQhbUpy0hX7B2cVkuTMinXoD');
    time.advance(31);
    await cache.getKeys(issuer, 'anything');

    expect(lookup.keys).toHaveLength(1);
    expect(lookup.keys[0]?.kid).toBeUndefined();
    expect(fetches()).toBe(1);
    // The real Clerk fixture token verifies with the key the cache offered.
    const key = await importJWK(lookup.keys[0]?.jwk as never, 'RS256');
    const { protectedHeader } = await compactVerify(kidless?.token as string, key);
    expect(protectedHeader.kid).toBe('ins_2GIoQhbUpy0hX7B2cVkuTMinXoD');
  });

  it('refetches for an unknown kid in a mixed set, then falls back to the kid-less keys', async () => {
    const { kid: _kid, ...anonymous } = k2.publicJwk;
    provider.route('/jwks.json', { body: { keys: [k1.publicJwk, anonymous] }, headers: FRESH });
    const cache = createKeySetCache(authConfig([issuer], C15), runtime(time));
    await cache.getKeys(issuer, 'k1');

    time.advance(31);
    const lookup = await cache.getKeys(issuer, 'new');

    expect(lookup.keys.map((k) => k.kid)).toEqual([undefined]);
    expect(fetches()).toBe(2);
    expect(cache.hasKey(issuer, 'new')).toBe(true);
  });

  it('never offers a key whose kid differs from the one named', async () => {
    const cache = createKeySetCache(authConfig([issuer], C15), runtime(time));

    expect(await codeOf(cache.getKeys(issuer, 'k2'))).toBe('key_unknown');
    expect(cache.stats().hits).toBe(0);
  });
});
