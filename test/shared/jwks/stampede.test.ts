/**
 * CASES.md C16: a cold-cache stampede. Where the runtime shares (Node, Lambda), concurrent
 * callers share one fetch. Where it does not (Workers), no caller awaits a promise another
 * caller created: a caller whose fetch never settles (a cancelled request) leaves every other
 * caller free, and with the store tier warm a fresh isolate makes no fetch at all.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../../shared/errors.ts';
import { createKeySetCache } from '../../../shared/jwks/cache.ts';
import type { IssuerConfig, KeyLookup } from '../../../shared/types.ts';
import { jwks, makeKey, type TestKey } from '../../fixtures/keys.ts';
import { type Provider, startProvider } from '../../fixtures/provider.ts';
import { authConfig, type Clock, clock, issuerConfig, memoryStore, runtime } from './support.ts';

let k1: TestKey;
let provider: Provider;
let time: Clock;
let issuer: IssuerConfig;

beforeAll(async () => {
  k1 = await makeKey('ES256', 'k1');
});

beforeEach(async () => {
  provider = await startProvider();
  // A short delay keeps every caller's lookup in flight together.
  provider.route('/jwks.json', {
    body: jwks(k1),
    headers: { 'cache-control': 'max-age=600' },
    delayMs: 20,
  });
  time = clock(5_000);
  issuer = issuerConfig(provider.url, `${provider.url}/jwks.json`);
});

afterEach(async () => {
  await provider.close();
});

const fetches = () => provider.count('/jwks.json');

/** Rejects if `promise` has not settled once every other pending I/O had a fair chance. */
function settlesWithoutHanging<T>(promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('a caller was left hanging')), 5000);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** A fetch whose first call never settles and ignores its signal, like a cancelled request. */
function fetchWithOneHangingCall(): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  return {
    fetch: (input, init) => {
      calls += 1;
      if (calls === 1) return new Promise<Response>(() => undefined);
      return fetch(input, init);
    },
    calls: () => calls,
  };
}

describe('cold stampede where callers may share (Node, Lambda)', () => {
  it.each([50, 1000])('makes exactly one fetch for %i concurrent cold lookups', async (n) => {
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { shareInFlight: true }));

    const lookups = await Promise.all(Array.from({ length: n }, () => cache.getKeys(issuer, 'k1')));

    expect(fetches()).toBe(1);
    expect(lookups.every((l) => l.keys[0]?.kid === 'k1')).toBe(true);
    expect(cache.stats()).toMatchObject({ fetches: 1, misses: n });
  });

  it('fails every joined caller with one fetch when the provider is down', async () => {
    provider.route('/jwks.json', { status: 500, delayMs: 20 });
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { shareInFlight: true }));

    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => cache.getKeys(issuer, 'k1')),
    );

    expect(fetches()).toBe(1);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(AuthError);
    }
  });

  it('bounds a hanging shared fetch by the fetch timeout', async () => {
    const hanging = fetchWithOneHangingCall();
    const cache = createKeySetCache(
      authConfig([issuer], { fetchTimeoutSeconds: 0.2 }),
      runtime(time, { shareInFlight: true, fetch: hanging.fetch }),
    );

    const results = await settlesWithoutHanging(
      Promise.allSettled(Array.from({ length: 20 }, () => cache.getKeys(issuer, 'k1'))),
    );

    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(hanging.calls()).toBe(1);
  });
});

describe('cold stampede where callers must not share (Workers)', () => {
  it('lets every caller do its own fetch, so none depends on another', async () => {
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { shareInFlight: false }));

    const lookups = await Promise.all(
      Array.from({ length: 50 }, () => cache.getKeys(issuer, 'k1')),
    );

    expect(lookups.every((l) => l.keys[0]?.kid === 'k1')).toBe(true);
    expect(fetches()).toBe(50);
    // Once any of them installed the set, later callers are served from memory.
    expect((await cache.getKeys(issuer, 'k1')).cache).toBe('hit');
    expect(fetches()).toBe(50);
  });

  it('leaves no one hanging when a cold caller is cancelled mid-fetch', async () => {
    const hanging = fetchWithOneHangingCall();
    const cache = createKeySetCache(
      authConfig([issuer]),
      runtime(time, { shareInFlight: false, fetch: hanging.fetch }),
    );

    // The first caller's fetch never settles (its request was cancelled): it stays pending.
    void cache.getKeys(issuer, 'k1').catch(() => undefined);
    const others = Array.from({ length: 10 }, () => cache.getKeys(issuer, 'k1'));
    const lookups: KeyLookup[] = await settlesWithoutHanging(Promise.all(others));

    expect(lookups.every((l) => l.keys[0]?.kid === 'k1')).toBe(true);
    expect(hanging.calls()).toBe(11);
  });

  it('completes every caller whose own I/O completes while half the callers are cancelled', async () => {
    // Each caller runs in its own context, as a request does in workerd; the fetch of every
    // even-numbered caller never settles. A caller that awaited another caller's promise
    // could end up waiting on one of those forever.
    const request = new AsyncLocalStorage<number>();
    const callsBy = new Map<number, number>();
    const fetchFn: typeof fetch = (input, init) => {
      const id = request.getStore() ?? -1;
      callsBy.set(id, (callsBy.get(id) ?? 0) + 1);
      return id % 2 === 0 ? new Promise<Response>(() => undefined) : fetch(input, init);
    };
    const cache = createKeySetCache(
      authConfig([issuer]),
      runtime(time, { shareInFlight: false, fetch: fetchFn }),
    );

    const callers = Array.from({ length: 40 }, (_, id) =>
      request.run(id, () => cache.getKeys(issuer, 'k1')),
    );
    for (const [id, caller] of callers.entries()) {
      if (id % 2 === 0) void caller.catch(() => undefined);
    }
    const completed = await settlesWithoutHanging(
      Promise.all(callers.filter((_, id) => id % 2 === 1)),
    );

    expect(completed).toHaveLength(20);
    expect(completed.every((l) => l.keys[0]?.kid === 'k1')).toBe(true);
    expect([...callsBy.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, id) => id),
    );
    expect([...callsBy.values()].every((n) => n === 1)).toBe(true);
  });

  it('serves the stale set while another caller refreshes, then refreshes itself later', async () => {
    let hangNext = false;
    const fetchFn: typeof fetch = (input, init) => {
      if (!hangNext) return fetch(input, init);
      hangNext = false;
      return new Promise<Response>(() => undefined);
    };
    const cache = createKeySetCache(
      authConfig([issuer], { fetchTimeoutSeconds: 0.5 }),
      runtime(time, { shareInFlight: false, fetch: fetchFn }),
    );
    await cache.getKeys(issuer, 'k1');
    time.advance(601);

    hangNext = true;
    void cache.getKeys(issuer, 'k1').catch(() => undefined);
    const during = await settlesWithoutHanging(cache.getKeys(issuer, 'k1'));
    expect(during.cache).toBe('stale');
    expect(fetches()).toBe(1);

    // Past two fetch timeouts (discovery and key set) that update is over, cancelled or not.
    time.advance(1);
    const after = await settlesWithoutHanging(cache.getKeys(issuer, 'k1'));
    expect(after.cache).toBe('refreshed');
    expect(fetches()).toBe(2);
  });

  it('makes no fetch at all in a fresh isolate when the store tier is warm', async () => {
    const store = memoryStore();
    const first = createKeySetCache(authConfig([issuer]), runtime(time, { store }));
    await first.getKeys(issuer, 'k1');
    provider.resetCounts();

    const isolate = createKeySetCache(
      authConfig([issuer]),
      runtime(time, { store, shareInFlight: false }),
    );
    const lookups = await Promise.all(
      Array.from({ length: 50 }, () => isolate.getKeys(issuer, 'k1')),
    );

    expect(lookups.every((l) => l.cache === 'hit')).toBe(true);
    expect(provider.count()).toBe(0);
    expect(isolate.stats().storeHits).toBe(50);
  });

  it('bounds a cold outage by the failure memory', async () => {
    provider.route('/jwks.json', { status: 503 });
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { shareInFlight: false }));

    await Promise.allSettled(Array.from({ length: 5 }, () => cache.getKeys(issuer, 'k1')));
    const afterBurst = fetches();
    await Promise.allSettled(Array.from({ length: 50 }, () => cache.getKeys(issuer, 'k1')));

    expect(afterBurst).toBeLessThanOrEqual(5);
    expect(fetches()).toBe(afterBurst);
  });
});
