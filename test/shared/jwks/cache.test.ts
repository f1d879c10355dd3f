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

  it('answers from memory synchronously only while the set is fresh and holds the kid', async () => {
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));
    expect(cache.heldKeys?.(issuer, 'k1')).toBeUndefined();
    await cache.getKeys(issuer, 'k1');

    const held = cache.heldKeys?.(issuer, 'k1');
    expect(held?.cache).toBe('hit');
    expect(held?.keys.map((k) => k.kid)).toEqual(['k1']);
    // An unknown kid and a stale set are left to getKeys, which may refetch.
    expect(cache.heldKeys?.(issuer, 'k9')).toBeUndefined();
    time.advance(601);
    expect(cache.heldKeys?.(issuer, 'k1')).toBeUndefined();
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

  it('keeps a fetched set as a success when waitUntil throws, writing the store inline', async () => {
    const store = memoryStore();
    const waitUntil = () => {
      throw new Error('waitUntil called after the response');
    };
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { store, waitUntil }));

    expect((await cache.getKeys(issuer, 'k1')).cache).toBe('miss');
    expect(cache.status(issuer).lastFailure).toBeUndefined();
    expect(cache.stats().failed).toBe(0);
    expect(store.writes).toBe(1);
  });

  it('throws key_unknown for a kid missing after the refetch', async () => {
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));

    expect(await codeOf(cache.getKeys(issuer, 'nope'))).toBe('key_unknown');
    expect(provider.count('/jwks.json')).toBe(1);
    expect(cache.hasKey(issuer, 'k1')).toBe(true);
    expect(cache.hasKey(issuer, 'nope')).toBe(false);
  });

  it.each(['eyJhbGciOiJSUzI1NiJ9.planted-token-text', 'x'.repeat(4000), '</script>"\n\u0000'])(
    'keeps the unknown kid %#, which is token text, out of the message and in the detail',
    async (kid) => {
      const cache = createKeySetCache(authConfig([issuer]), runtime(time));
      const error = await cache.getKeys(issuer, kid).then(
        () => {
          throw new Error('expected key_unknown');
        },
        (caught: unknown) => caught as AuthError,
      );
      expect(error.code).toBe('key_unknown');
      expect(error.message).not.toContain(kid.slice(0, 20));
      expect(error.message).not.toContain(JSON.stringify(kid).slice(1, 21));
      expect(error.detail.kid).toBe(kid);
    },
  );
});

describe('refresh for the scheduled handler', () => {
  it('fetches even while the set is fresh and writes the store before resolving', async () => {
    const store = memoryStore();
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { store }));
    await cache.getKeys(issuer, 'k1');
    provider.route('/jwks.json', {
      body: jwks(k1, k2),
      headers: { 'cache-control': 'max-age=600' },
    });

    await cache.refresh(issuer);

    expect(provider.count('/jwks.json')).toBe(2);
    expect(cache.hasKey(issuer, 'k2')).toBe(true);
    expect(store.data.get(issuer.jwksUrl as string)?.keys).toHaveLength(2);
  });

  it('throws the failure code and keeps the last good set', async () => {
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));
    await cache.getKeys(issuer, 'k1');
    provider.route('/jwks.json', { status: 500 });

    expect(await codeOf(cache.refresh(issuer))).toBe('key_set_unavailable');
    expect((await cache.getKeys(issuer, 'k1')).cache).toBe('hit');
  });

  it('refreshes every issuer once per address and collects failures', async () => {
    provider.route('/bad.json', {
      body: '<html></html>',
      headers: { 'content-type': 'text/html' },
    });
    const twin = issuerConfig(`${provider.url}/twin`, `${provider.url}/jwks.json`);
    const bad = issuerConfig(`${provider.url}/bad`, `${provider.url}/bad.json`);
    const cache = createKeySetCache(authConfig([issuer, twin, bad]), runtime(time));

    const results = await cache.refreshAll();

    expect(results).toEqual([
      { issuer: issuer.issuer, ok: true },
      { issuer: twin.issuer, ok: true },
      { issuer: bad.issuer, ok: false, code: 'key_set_invalid' },
    ]);
    expect(provider.count('/jwks.json')).toBe(1);
  });
});

describe('status for the adapters log lines', () => {
  it('lists the skipped keys and moves the generation once per fetch', async () => {
    provider.route('/jwks.json', {
      body: { keys: [k1.publicJwk, { ...k1.publicJwk, kid: 'enc', use: 'enc' }] },
    });
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));

    await cache.getKeys(issuer, 'k1');
    await cache.getKeys(issuer, 'k1');
    const status = cache.status(issuer);

    expect(status).toMatchObject({
      jwksUrl: issuer.jwksUrl,
      usableKeys: 1,
      skipped: [{ kid: 'enc', reason: 'use is "enc", not "sig"' }],
      generation: 1,
      lastFailure: undefined,
    });
    time.advance(601);
    await cache.getKeys(issuer, 'k1');
    expect(cache.status(issuer).generation).toBe(2);
  });

  it('reports the last failure with its code and message', async () => {
    provider.route('/jwks.json', { body: { keys: 'x' } });
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));

    await codeOf(cache.getKeys(issuer, 'k1'));

    expect(cache.status(issuer).lastFailure).toEqual({
      code: 'key_set_invalid',
      message: expect.stringContaining('"keys" is not an array'),
      at: time.now(),
    });
  });

  it('reports an empty state for an issuer never looked up', () => {
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));
    expect(cache.status(issuer)).toMatchObject({ usableKeys: 0, generation: 0, skipped: [] });
    expect(cache.hasKey(issuer, 'k1')).toBe(false);
  });
});

describe('only key-set errors escape', () => {
  it('ignores a store whose reads and writes throw', async () => {
    const store = {
      get: () => Promise.reject(new Error('kv down')),
      put: () => Promise.reject(new Error('kv down')),
    };
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { store }));

    expect((await cache.getKeys(issuer, 'k1')).cache).toBe('miss');
  });

  it('ignores damaged snapshots in the store', async () => {
    const store = memoryStore();
    const url = issuer.jwksUrl as string;
    store.data.set(url, { keys: 'x', fetchedAt: 'never' } as never);
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { store }));

    expect((await cache.getKeys(issuer, 'k1')).cache).toBe('miss');
    store.data.set(url, { keys: [{ kty: 'oct', k: 'AA' }], fetchedAt: 0, freshUntil: 9e15 });
    const again = createKeySetCache(authConfig([issuer]), runtime(time, { store }));
    expect((await again.getKeys(issuer, 'k1')).cache).toBe('miss');
  });

  it('ignores a stored snapshot fetched in the future, which would pin its keys for good', async () => {
    const store = memoryStore();
    const url = issuer.jwksUrl as string;
    // A stranger's key under the provider's kid, stamped a thousand days ahead (microseconds
    // read as milliseconds, or another writer's format).
    const stranger = await makeKey('RS256', 'k1');
    const ahead = time.now() + 1000 * 86_400_000;
    store.data.set(url, { keys: jwks(stranger).keys, fetchedAt: ahead, freshUntil: ahead + 6e5 });
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { store }));

    const lookup = await cache.getKeys(issuer, 'k1');

    expect(lookup.cache).toBe('miss');
    expect(provider.count('/jwks.json')).toBe(1);
    expect(cache.stats().storeHits).toBe(0);
  });

  it('ignores a stored snapshot whose freshness ends before it was fetched', async () => {
    const store = memoryStore();
    const url = issuer.jwksUrl as string;
    const now = time.now();
    store.data.set(url, { keys: jwks(k1).keys, fetchedAt: now, freshUntil: now - 1 });
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { store }));

    expect((await cache.getKeys(issuer, 'k1')).cache).toBe('miss');
    expect(cache.stats().storeHits).toBe(0);
  });

  it('cuts stored freshness to maxMaxAgeSeconds so a foreign snapshot is refetched in time', async () => {
    const store = memoryStore();
    const url = issuer.jwksUrl as string;
    const now = time.now();
    store.data.set(url, { keys: jwks(k1).keys, fetchedAt: now, freshUntil: now + 1e12 });
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { store }));

    await cache.getKeys(issuer, 'k1');
    expect(provider.count('/jwks.json')).toBe(0);
    time.advance(86_400 + 1);
    expect((await cache.getKeys(issuer, 'k1')).cache).toBe('refreshed');
    expect(provider.count('/jwks.json')).toBe(1);
  });

  it('turns a fetch that throws synchronously into key_set_unavailable', async () => {
    const fetchFn = (() => {
      throw new Error('not a web fetch');
    }) as unknown as typeof fetch;
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { fetch: fetchFn }));

    expect(await codeOf(cache.getKeys(issuer, 'k1'))).toBe('key_set_unavailable');
  });

  it('answers key_set_invalid for an issuer that cannot be discovered', async () => {
    const plain = issuerConfig('http://issuer.example', undefined);
    const cache = createKeySetCache(authConfig([plain]), runtime(time));

    expect(await codeOf(cache.getKeys(plain, 'k1'))).toBe('key_set_invalid');
    expect(cache.hasKey(plain, 'k1')).toBe(false);
    expect(cache.status(plain).usableKeys).toBe(0);
  });
});

describe('store tier with a stale snapshot', () => {
  it('serves a stale stored set when the provider is down, and remembers the failure', async () => {
    const store = memoryStore();
    const warm = createKeySetCache(authConfig([issuer]), runtime(time, { store }));
    await warm.getKeys(issuer, 'k1');
    provider.route('/jwks.json', { status: 500 });
    time.advance(700);

    const isolate = createKeySetCache(
      authConfig([issuer]),
      runtime(time, { store, shareInFlight: false }),
    );
    const lookup = await isolate.getKeys(issuer, 'k1');
    await isolate.getKeys(issuer, 'k1');

    expect(lookup.cache).toBe('stale');
    expect(provider.count('/jwks.json')).toBe(2);
    expect(isolate.status(issuer).lastFailure?.code).toBe('key_set_unavailable');
  });

  it('ignores a stored set past its stale window', async () => {
    const store = memoryStore();
    const warm = createKeySetCache(authConfig([issuer]), runtime(time, { store }));
    await warm.getKeys(issuer, 'k1');
    provider.route('/jwks.json', { status: 500 });
    time.advance(600 + 3600 + 1);

    const isolate = createKeySetCache(authConfig([issuer]), runtime(time, { store }));

    expect(await codeOf(isolate.getKeys(issuer, 'k1'))).toBe('key_set_unavailable');
    expect(isolate.stats().storeHits).toBe(0);
  });

  it('ignores a snapshot dated in the future, so the fetched set is installed', async () => {
    const store = memoryStore();
    const url = issuer.jwksUrl as string;
    const future = time.now() + 86_400_000;
    store.data.set(url, {
      keys: [k2.publicJwk],
      fetchedAt: future,
      freshUntil: future,
      jwksUrl: url,
    });
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { store }));

    const lookup = await cache.getKeys(issuer, 'k1');

    expect(lookup.cache).toBe('miss');
    expect(cache.hasKey(issuer, 'k2')).toBe(false);
    expect(cache.status(issuer).freshUntil).toBe(time.now() + 600_000);
  });

  it('holds a snapshot written under a longer upper bound to this one', async () => {
    const store = memoryStore();
    const url = issuer.jwksUrl as string;
    const year = 365 * 86_400_000;
    store.data.set(url, {
      keys: [k2.publicJwk],
      fetchedAt: time.now(),
      freshUntil: time.now() + year,
      jwksUrl: url,
    });
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { store }));

    expect((await cache.getKeys(issuer, 'k2')).cache).toBe('hit');
    expect(cache.status(issuer).freshUntil).toBe(time.now() + 86_400_000);
    time.advance(86_401);
    await cache.getKeys(issuer, 'k1');
    expect(provider.count('/jwks.json')).toBe(1);
    expect(cache.hasKey(issuer, 'k2')).toBe(false);
  });

  it('ignores a snapshot that names another key-set address', async () => {
    const store = memoryStore();
    const url = issuer.jwksUrl as string;
    store.data.set(url, {
      keys: [k2.publicJwk],
      fetchedAt: time.now(),
      freshUntil: time.now() + 600_000,
      jwksUrl: 'https://elsewhere.example/jwks.json',
    });
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { store }));

    expect((await cache.getKeys(issuer, 'k1')).cache).toBe('miss');
    expect(cache.hasKey(issuer, 'k2')).toBe(false);
    expect(cache.stats().storeHits).toBe(0);
  });

  it('ignores a discovered snapshot without the issuer it was discovered for', async () => {
    const discovered = issuerConfig(provider.url, undefined);
    provider.route('/.well-known/openid-configuration', {
      body: { issuer: provider.url, jwks_uri: `${provider.url}/jwks.json` },
    });
    const store = memoryStore();
    const id = `${provider.url}/.well-known/openid-configuration`;
    const snapshot = {
      keys: [k2.publicJwk],
      fetchedAt: time.now(),
      freshUntil: time.now() + 600_000,
      jwksUrl: `${provider.url}/jwks.json`,
    };
    store.data.set(id, snapshot);
    const cache = createKeySetCache(authConfig([discovered]), runtime(time, { store }));

    expect((await cache.getKeys(discovered, 'k1')).cache).toBe('miss');
    expect(store.data.get(id)?.issuer).toBe(provider.url);
    store.data.set(id, { ...snapshot, issuer: provider.url });
    const isolate = createKeySetCache(authConfig([discovered]), runtime(time, { store }));
    expect((await isolate.getKeys(discovered, 'k2')).cache).toBe('hit');
  });

  it('gives up on a store that never answers, reads and writes alike', async () => {
    const store = {
      get: () => new Promise<never>(() => undefined),
      put: () => new Promise<never>(() => undefined),
    };
    const cache = createKeySetCache(
      authConfig([issuer], { fetchTimeoutSeconds: 0.2 }),
      runtime(time, { store }),
    );

    expect((await cache.getKeys(issuer, 'k1')).cache).toBe('miss');
    await cache.refresh(issuer);
    expect(provider.count('/jwks.json')).toBe(2);
  });

  it('fetches for a kid the fresh stored set lacks', async () => {
    const store = memoryStore();
    const warm = createKeySetCache(authConfig([issuer]), runtime(time, { store }));
    await warm.getKeys(issuer, 'k1');
    provider.route('/jwks.json', {
      body: jwks(k1, k2),
      headers: { 'cache-control': 'max-age=600' },
    });

    const isolate = createKeySetCache(authConfig([issuer]), runtime(time, { store }));
    const lookup = await isolate.getKeys(issuer, 'k2');

    expect(lookup.cache).toBe('miss');
    expect(provider.count('/jwks.json')).toBe(2);
    expect(store.data.get(issuer.jwksUrl as string)?.keys).toHaveLength(2);
  });
});
