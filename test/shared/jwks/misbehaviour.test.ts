/**
 * CASES.md C17: the provider misbehaves, with a warm and with a cold cache. Warm: the last good
 * set keeps verifying within the stale window and the failure is remembered, so requests do not
 * each refetch. Cold: the lookup fails with a key-set error and a retry delay. Never an allow
 * from a bad answer.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, type AuthErrorCode } from '../../../shared/errors.ts';
import { createKeySetCache } from '../../../shared/jwks/cache.ts';
import type { IssuerConfig, KeySetCache } from '../../../shared/types.ts';
import { jwks, makeKey, type TestKey } from '../../fixtures/keys.ts';
import { type Provider, type Reply, startProvider } from '../../fixtures/provider.ts';
import { authConfig, type Clock, clock, issuerConfig, POLICY, runtime } from './support.ts';

/** The configured fetch timeout for these tests: short, so the 8 s provider costs ~0.3 s. */
const TIMEOUT_SECONDS = 0.3;

let k1: TestKey;
let provider: Provider;
let time: Clock;
let closedPortUrl: string;

beforeAll(async () => {
  k1 = await makeKey('RS256', 'k1');
  // A port that was just listening and is now closed: connections to it are refused.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  closedPortUrl = `http://127.0.0.1:${port}/jwks.json`;
});

beforeEach(async () => {
  provider = await startProvider();
  provider.route('/moved.json', { body: jwks(k1) });
  time = clock(1_000_000);
});

afterEach(async () => {
  await provider.close();
});

/** One misbehaviour: what the provider does, and the error code a cold lookup must give. */
interface Misbehaviour {
  name: string;
  reply: () => Reply;
  code: AuthErrorCode;
  /** Whether the test talks to a closed port instead of the provider. */
  refused?: boolean;
  retryAfterSeconds?: number;
}

const MISBEHAVIOURS: Misbehaviour[] = [
  {
    name: '301 to another URL',
    reply: () => ({ status: 301, headers: { location: `${provider.url}/moved.json` } }),
    code: 'key_set_unavailable',
  },
  {
    name: '200 text/html',
    reply: () => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<!doctype html><html><body>Maintenance</body></html>',
    }),
    code: 'key_set_invalid',
  },
  { name: '200 {"keys":"x"}', reply: () => ({ body: { keys: 'x' } }), code: 'key_set_invalid' },
  { name: '500', reply: () => ({ status: 500, body: 'oops' }), code: 'key_set_unavailable' },
  {
    name: '503 with Retry-After',
    reply: () => ({ status: 503, headers: { 'retry-after': '120' }, body: 'busy' }),
    code: 'key_set_unavailable',
    retryAfterSeconds: 120,
  },
  {
    name: '200 {"keys":[]}',
    reply: () => ({ body: { keys: [] } }),
    code: 'key_set_invalid',
  },
  {
    name: '200 with only keys that cannot verify',
    reply: () => ({
      body: {
        keys: [
          { ...k1.publicJwk, use: 'enc' },
          { ...k1.publicJwk, key_ops: ['encrypt'] },
          { ...k1.publicJwk, d: 'AQAB' },
          { kty: 'oct', kid: 'k1', k: 'c2VjcmV0' },
          {
            kty: 'OKP',
            crv: 'X25519',
            kid: 'k1',
            x: 'hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo',
          },
        ],
      },
    }),
    code: 'key_set_invalid',
  },
  ...[302, 307, 308].map((status) => ({
    name: `${status} to another URL`,
    reply: (): Reply => ({ status, headers: { location: `${provider.url}/moved.json` } }),
    code: 'key_set_unavailable' as const,
  })),
  {
    name: '429 with an HTTP-date Retry-After',
    reply: () => ({
      status: 429,
      headers: { 'retry-after': new Date(time.now() + 120_000).toUTCString() },
    }),
    code: 'key_set_unavailable',
    retryAfterSeconds: 120,
  },
  {
    name: '503 with a negative Retry-After',
    reply: () => ({ status: 503, headers: { 'retry-after': '-1' } }),
    code: 'key_set_unavailable',
  },
  {
    name: '200 larger than maxResponseBytes',
    reply: () => ({ body: `{"keys":[],"pad":"${'x'.repeat(POLICY.maxResponseBytes)}"}` }),
    code: 'key_set_unavailable',
  },
  {
    name: '200 after 8 s',
    reply: () => ({ body: jwks(k1), delayMs: 8000 }),
    code: 'key_set_unavailable',
  },
  {
    name: 'connection refused',
    reply: () => ({ body: {} }),
    code: 'key_set_unavailable',
    refused: true,
  },
];

/** A provider that serves the good set until `misbehave()` is called. */
function setUp(misbehaviour: Misbehaviour, shareInFlight = true) {
  let bad = false;
  provider.route('/jwks.json', () =>
    bad ? misbehaviour.reply() : { body: jwks(k1), headers: { 'cache-control': 'max-age=600' } },
  );
  const issuer: IssuerConfig = issuerConfig(provider.url, `${provider.url}/jwks.json`);
  const config = authConfig([issuer], { fetchTimeoutSeconds: TIMEOUT_SECONDS });
  // For "connection refused" the address itself changes to a closed port once it misbehaves.
  let refusedAttempts = 0;
  const fetchFn: typeof fetch = (input, init) => {
    if (!(bad && misbehaviour.refused)) return fetch(input, init);
    refusedAttempts += 1;
    return fetch(closedPortUrl, init);
  };
  const cache = createKeySetCache(config, runtime(time, { fetch: fetchFn, shareInFlight }));
  return {
    cache,
    issuer,
    misbehave: () => {
      bad = true;
    },
    /** Requests that reached the provider, plus those sent to the closed port. */
    attempts: () => provider.count('/jwks.json') + refusedAttempts,
  };
}

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('expected the lookup to fail');
}

const CASES = [true, false].flatMap((shareInFlight) =>
  MISBEHAVIOURS.map((misbehaviour) => ({ ...misbehaviour, shareInFlight })),
);

describe.each(CASES)(
  'provider misbehaves: $name (shareInFlight $shareInFlight)',
  (misbehaviour) => {
    const backoff = misbehaviour.retryAfterSeconds ?? POLICY.failureBackoffSeconds;

    it('fails a cold lookup with the specific code and a retry delay, and remembers it', async () => {
      const { cache, issuer, misbehave, attempts } = setUp(
        misbehaviour,
        misbehaviour.shareInFlight,
      );
      misbehave();

      const first = await failure(cache.getKeys(issuer, 'k1'));
      expect(first.code).toBe(misbehaviour.code);
      expect(first.detail.retryAfterSeconds).toBe(backoff);
      expect(attempts()).toBe(1);

      // Within the backoff: no request reaches the provider, the same answer comes back.
      time.advance(backoff - 1);
      for (let i = 0; i < 20; i++) {
        const again = await failure(cache.getKeys(issuer, 'k1'));
        expect(again.code).toBe(misbehaviour.code);
        expect(again.detail.retryAfterSeconds).toBe(1);
      }
      expect(attempts()).toBe(1);
      expect(cache.status(issuer).lastFailure?.code).toBe(misbehaviour.code);

      // After it: exactly one new attempt.
      time.advance(1);
      expect((await failure(cache.getKeys(issuer, 'k1'))).code).toBe(misbehaviour.code);
      expect(attempts()).toBe(2);
      expect(cache.stats().failed).toBe(2);
    });

    it('keeps serving the last good set within the stale window when warm', async () => {
      const { cache, issuer, misbehave, attempts } = setUp(
        misbehaviour,
        misbehaviour.shareInFlight,
      );
      const good = await cache.getKeys(issuer, 'k1');
      misbehave();
      time.advance(601);

      const stale = await cache.getKeys(issuer, 'k1');
      expect(stale.cache).toBe('stale');
      expect(stale.keys).toEqual(good.keys);
      expect(attempts()).toBe(2);

      for (let i = 0; i < 20; i++) {
        expect((await cache.getKeys(issuer, 'k1')).cache).toBe('stale');
      }
      expect(attempts()).toBe(2);

      time.advance(backoff);
      expect((await cache.getKeys(issuer, 'k1')).cache).toBe('stale');
      expect(attempts()).toBe(3);
      expect(cache.stats()).toMatchObject({ failed: 2, stale: 22 });
    });

    it('stops serving the stale set once the stale window is over', async () => {
      const { cache, issuer, misbehave } = setUp(misbehaviour, misbehaviour.shareInFlight);
      await cache.getKeys(issuer, 'k1');
      misbehave();

      time.advance(600 + POLICY.staleWindowSeconds);
      const error = await failure(cache.getKeys(issuer, 'k1'));

      expect(error.code).toBe(misbehaviour.code);
      expect(cache.hasKey(issuer, 'k1')).toBe(false);
    });
  },
);

describe('redirects', () => {
  it('never requests the redirect target', async () => {
    const { cache, issuer, misbehave } = setUp(MISBEHAVIOURS[0] as Misbehaviour);
    misbehave();

    const error = await failure(cache.getKeys(issuer, 'k1'));

    expect(error.message).toContain('redirect 301');
    expect(error.message).toContain('/moved.json');
    expect(provider.count('/moved.json')).toBe(0);
  });
});

describe('a remembered failure in a warm cache', () => {
  let cache: KeySetCache;
  let issuer: IssuerConfig;

  beforeEach(async () => {
    const setup = setUp(MISBEHAVIOURS[3] as Misbehaviour);
    cache = setup.cache;
    issuer = setup.issuer;
    await cache.getKeys(issuer, 'k1');
    setup.misbehave();
  });

  it('does not let unknown kids refetch while the failure is remembered', async () => {
    time.advance(601);
    await cache.getKeys(issuer, 'k1');
    const fetches = cache.stats().fetches;

    for (let i = 0; i < 50; i++) {
      expect((await failure(cache.getKeys(issuer, `random-${i}`))).code).toBe('key_unknown');
    }
    expect(cache.stats().fetches).toBe(fetches);
  });

  it('recovers with one fetch when the provider is back', async () => {
    time.advance(601);
    await cache.getKeys(issuer, 'k1');
    provider.route('/jwks.json', { body: jwks(k1), headers: { 'cache-control': 'max-age=600' } });

    time.advance(POLICY.failureBackoffSeconds);
    const lookup = await cache.getKeys(issuer, 'k1');

    expect(lookup.cache).toBe('refreshed');
    expect(cache.status(issuer).lastFailure).toBeUndefined();
    expect((await cache.getKeys(issuer, 'k1')).cache).toBe('hit');
  });
});

describe('Retry-After', () => {
  it('is honoured up to 300 s and no further', async () => {
    const { cache, issuer, misbehave } = setUp({
      name: '503 with a day-long Retry-After',
      reply: () => ({ status: 503, headers: { 'retry-after': '86400' } }),
      code: 'key_set_unavailable',
    });
    misbehave();

    expect((await failure(cache.getKeys(issuer, 'k1'))).detail.retryAfterSeconds).toBe(300);
    time.advance(300);
    await failure(cache.getKeys(issuer, 'k1'));
    expect(provider.count('/jwks.json')).toBe(2);
  });
});
