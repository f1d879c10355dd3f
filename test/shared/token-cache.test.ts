import { beforeAll, describe, expect, it } from 'vitest';
import { TokenCache, validityWindow } from '../../shared/token-cache.ts';
import type { Identity } from '../../shared/types.ts';
import { jwks, makeKey, type TestKey } from '../fixtures/keys.ts';
import { signRaw } from './fixtures/sign.ts';
import { failure, ISS, NOW, standard, validClaims } from './fixtures/tokens.ts';

let key: TestKey;
beforeAll(async () => {
  key = await makeKey('ES256', 'k1');
});

const sign = (extra: Record<string, unknown> = {}) =>
  signRaw(key, { alg: 'ES256', kid: 'k1' }, validClaims(extra));

describe('the verified-token cache inside the authorizer', () => {
  it('serves a repeated token from the cache without a key lookup and says so', async () => {
    const { authorizer, keys } = standard([key]);
    const token = await sign();
    expect((await authorizer.verifyToken(token)).cache).toBe('hit');
    expect(keys.lookups).toBe(1);
    const again = await authorizer.verifyToken(token);
    expect(again.cache).toBe('token');
    expect(again.subject).toBe('user-1');
    expect(keys.lookups).toBe(1);
  });

  it('reports the source of the current request on a hit', async () => {
    const { authorizer } = standard([key]);
    const token = await sign();
    await authorizer.verifyToken(token, 'bearer');
    expect((await authorizer.verifyToken(token, 'cookie')).source).toBe('cookie');
    expect((await authorizer.verifyToken(token, 'bearer')).source).toBe('bearer');
  });

  it('stops serving a cached token once it expires, with the same tolerance as jose', async () => {
    const { authorizer, runtime } = standard([key], { clockToleranceSeconds: 30 });
    const token = await sign({ exp: NOW + 10 });
    await authorizer.verifyToken(token);
    runtime.setNow((NOW + 39) * 1000 + 999);
    expect((await authorizer.verifyToken(token)).cache).toBe('token');
    runtime.setNow((NOW + 40) * 1000);
    expect(await failure(authorizer.verifyToken(token))).toBe('token_expired');
  });

  it('does not serve a cached token before its nbf when the clock goes back', async () => {
    const { authorizer, runtime } = standard([key], { clockToleranceSeconds: 0 });
    const token = await sign({ nbf: NOW - 1 });
    await authorizer.verifyToken(token);
    runtime.setNow((NOW - 2) * 1000);
    expect(await failure(authorizer.verifyToken(token))).toBe('token_not_yet_valid');
  });

  it('does not serve a cached token before its iat when the clock goes back', async () => {
    const { authorizer, runtime } = standard([key], { clockToleranceSeconds: 0 });
    const token = await sign({ iat: NOW, nbf: undefined });
    await authorizer.verifyToken(token);
    runtime.setNow((NOW - 1) * 1000);
    expect(await failure(authorizer.verifyToken(token))).toBe('token_too_old');
  });

  it('stops serving a cached token past its maximum age', async () => {
    const { authorizer, runtime } = standard([key], {
      maxTokenAgeSeconds: 120,
      clockToleranceSeconds: 0,
    });
    const token = await sign({ iat: NOW });
    await authorizer.verifyToken(token);
    runtime.setNow((NOW + 120) * 1000);
    expect((await authorizer.verifyToken(token)).cache).toBe('token');
    runtime.setNow((NOW + 121) * 1000);
    expect(await failure(authorizer.verifyToken(token))).toBe('token_too_old');
  });

  it('forgets a cached token whose key left the key set', async () => {
    const { authorizer, keys } = standard([key]);
    const token = await sign();
    await authorizer.verifyToken(token);
    keys.setKeys(ISS, jwks(await makeKey('ES256', 'k2')));
    expect(await failure(authorizer.verifyToken(token))).toBe('key_unknown');
  });

  it('does not cache a failure', async () => {
    const { authorizer, keys } = standard([key]);
    const token = await sign({ aud: 'other' });
    await failure(authorizer.verifyToken(token));
    await failure(authorizer.verifyToken(token));
    expect(keys.lookups).toBe(2);
  });

  it('is disabled by tokenCacheEntries 0', async () => {
    const { authorizer, keys } = standard([key], {}, { tokenCacheEntries: 0 });
    const token = await sign();
    await authorizer.verifyToken(token);
    expect((await authorizer.verifyToken(token)).cache).toBe('hit');
    expect(keys.lookups).toBe(2);
  });

  it('does not let a token that differs by one character hit the cache', async () => {
    const { authorizer } = standard([key]);
    const token = await sign();
    await authorizer.verifyToken(token);
    const [h, p, s] = token.split('.') as [string, string, string];
    const changed = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    expect(await failure(authorizer.verifyToken(changed))).toBe('token_signature_invalid');
  });
});

describe('TokenCache', () => {
  const identity = (exp: number): Identity => ({
    issuer: standard([]).config.issuers[0]!,
    iss: ISS,
    subject: 's',
    payload: { exp },
    header: { alg: 'ES256' },
    kid: 'k1',
    scopes: [],
    source: 'bearer',
    cache: 'hit',
  });
  const always = { getKeys: async () => ({ keys: [], cache: 'hit' as const }), hasKey: () => true };

  it('evicts the oldest entry when full', () => {
    const cache = new TokenCache(2);
    cache.set('a', identity(NOW + 60));
    cache.set('b', identity(NOW + 60));
    cache.set('c', identity(NOW + 60));
    expect(cache.size).toBe(2);
    expect(cache.get('a', NOW * 1000, always, 'bearer')).toBeUndefined();
    expect(cache.get('b', NOW * 1000, always, 'bearer')?.cache).toBe('token');
    expect(cache.get('c', NOW * 1000, always, 'bearer')?.cache).toBe('token');
  });

  it('evicts in the order tokens were last stored, across re-stores, drops and many evictions', () => {
    const cache = new TokenCache(3);
    // The reference: a Map whose insertion order is the storing order, true for a stored
    // token that has already expired (a lookup drops it).
    const model = new Map<string, boolean>();
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed >> 8;
    };
    for (let step = 0; step < 3000; step++) {
      const token = `t${next() % 8}`;
      const action = next() % 4;
      if (action === 0) {
        const expired = model.get(token);
        const served = cache.get(token, NOW * 1000, always, 'bearer');
        expect(served !== undefined).toBe(expired === false);
        if (expired === true) model.delete(token);
      } else {
        const expired = action === 1;
        cache.set(token, identity(expired ? NOW - 100_000 : NOW + 60));
        model.delete(token);
        if (model.size >= 3) model.delete(model.keys().next().value as string);
        model.set(token, expired);
      }
      expect(cache.size).toBe(model.size);
    }
  });

  it('serves only the exact token, not another token that ends the same way', () => {
    const cache = new TokenCache(10);
    const tail = 'x'.repeat(40);
    cache.set(`first.${tail}`, identity(NOW + 60));
    expect(cache.get(`other.${tail}`, NOW * 1000, always, 'bearer')).toBeUndefined();
    expect(cache.get(`first.${tail}`, NOW * 1000, always, 'bearer')?.cache).toBe('token');
    cache.set(`other.${tail}`, identity(NOW + 60));
    expect(cache.get(`other.${tail}`, NOW * 1000, always, 'bearer')?.cache).toBe('token');
    expect(cache.get(`first.${tail}`, NOW * 1000, always, 'bearer')).toBeUndefined();
  });

  it('computes the validity window as jose does', () => {
    const base = identity(NOW + 100);
    expect(validityWindow(base)).toEqual({
      fromSeconds: Number.NEGATIVE_INFINITY,
      untilSeconds: NOW + 130,
    });
    const aged = {
      ...base,
      payload: { exp: NOW + 100, iat: NOW, nbf: NOW - 5 },
      issuer: { ...base.issuer, maxTokenAgeSeconds: 10 },
    };
    expect(validityWindow(aged)).toEqual({ fromSeconds: NOW - 30, untilSeconds: NOW + 41 });
  });
});
