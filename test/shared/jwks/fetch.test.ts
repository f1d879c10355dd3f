/**
 * The bounded fetch against the loopback provider: size cap read from the stream, timeout,
 * redirects as errors, conditional requests; and the cache's revalidation with ETags.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../../shared/errors.ts';
import { createKeySetCache } from '../../../shared/jwks/cache.ts';
import { fetchBounded } from '../../../shared/jwks/fetch.ts';
import { jwks, makeKey, type TestKey } from '../../fixtures/keys.ts';
import { type Provider, type Reply, startProvider } from '../../fixtures/provider.ts';
import { authConfig, clock, issuerConfig, memoryStore, runtime } from './support.ts';

const LIMITS = { timeoutSeconds: 2, maxResponseBytes: 1000 };

let k1: TestKey;
let provider: Provider;

beforeAll(async () => {
  k1 = await makeKey('ES256', 'k1');
});

beforeEach(async () => {
  provider = await startProvider();
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
  throw new Error('expected a failure');
}

describe('fetchBounded', () => {
  it('returns the body and headers of a 200', async () => {
    provider.route('/a', { body: { keys: [] }, headers: { etag: '"v1"' } });

    const result = await fetchBounded(fetch, `${provider.url}/a`, LIMITS, 0);

    expect(result.status).toBe(200);
    expect(result.status === 200 && result.body).toBe('{"keys":[]}');
    expect(result.headers.get('etag')).toBe('"v1"');
  });

  it('stops reading a body larger than the cap that declares its length', async () => {
    provider.route('/big', { body: 'x'.repeat(5000) });

    const error = await failure(fetchBounded(fetch, `${provider.url}/big`, LIMITS, 0));

    expect(error.code).toBe('key_set_unavailable');
    expect(error.message).toContain('larger than 1000 bytes');
  });

  it('stops reading a chunked body once it passes the cap', async () => {
    provider.route('/chunked', {
      body: 'y'.repeat(50_000),
      headers: { 'transfer-encoding': 'chunked' },
    });

    const error = await failure(fetchBounded(fetch, `${provider.url}/chunked`, LIMITS, 0));

    expect(error.message).toContain('maxResponseBytes');
  });

  it('accepts a body of exactly the cap', async () => {
    provider.route('/exact', { body: 'z'.repeat(1000) });

    const result = await fetchBounded(fetch, `${provider.url}/exact`, LIMITS, 0);

    expect(result.status === 200 && result.body.length).toBe(1000);
  });

  it('gives up after the timeout with a message naming the option', async () => {
    provider.route('/slow', { body: '{}', delayMs: 8000 });

    const error = await failure(
      fetchBounded(fetch, `${provider.url}/slow`, { ...LIMITS, timeoutSeconds: 0.2 }, 0),
    );

    expect(error.message).toContain('fetchTimeoutSeconds');
  });

  it('gives up after the timeout even when fetch ignores the abort signal', async () => {
    const deaf: typeof fetch = () => new Promise<Response>(() => undefined);

    const error = await failure(
      fetchBounded(deaf, 'https://never.example/jwks', { ...LIMITS, timeoutSeconds: 0.1 }, 0),
    );

    expect(error.code).toBe('key_set_unavailable');
  });

  it('gives up on a body that stalls after its first bytes', async () => {
    const open = new Set<ServerResponse>();
    const server = createServer((_req, res) => {
      open.add(res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const error = await failure(
        fetchBounded(fetch, `http://127.0.0.1:${port}/`, { ...LIMITS, timeoutSeconds: 0.2 }, 0),
      );
      expect(error.message).toContain('fetchTimeoutSeconds');
    } finally {
      for (const res of open) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it.each([404, 429, 502, 308])('fails on status %i', async (status) => {
    provider.route('/status', { status, headers: { location: '/elsewhere' } });

    const error = await failure(fetchBounded(fetch, `${provider.url}/status`, LIMITS, 0));

    expect(error.code).toBe('key_set_unavailable');
    expect(error.message).toContain(String(status));
  });

  it('turns a fetch that throws synchronously into key_set_unavailable', async () => {
    const broken = (() => {
      throw new TypeError('boom');
    }) as unknown as typeof fetch;

    const error = await failure(fetchBounded(broken, 'https://x.example/', LIMITS, 0));

    expect(error.message).toContain('request failed (TypeError)');
  });

  it('reports a redirect with its target instead of following it', async () => {
    provider.route('/old', { status: 302, headers: { location: '/new' } });
    provider.route('/new', { body: jwks(k1) });

    const error = await failure(fetchBounded(fetch, `${provider.url}/old`, LIMITS, 0));

    expect(error.message).toContain('redirect 302 to /new');
    expect(provider.count('/new')).toBe(0);
  });

  it('refuses an answer that a fetch wrapper got by following a redirect anyway', async () => {
    provider.route('/old', { status: 301, headers: { location: `${provider.url}/new` } });
    provider.route('/new', { body: jwks(k1) });
    const following: typeof fetch = (input, init) => fetch(input, { ...init, redirect: 'follow' });

    const error = await failure(fetchBounded(following, `${provider.url}/old`, LIMITS, 0));

    expect(error.code).toBe('key_set_unavailable');
    expect(error.message).toContain(`redirected to ${provider.url}/new`);
  });

  it('sends validators and returns a 304 as such', async () => {
    let seen: string | undefined;
    provider.route('/cond', (req) => {
      seen = req.headers['if-none-match'] as string | undefined;
      return { status: 304 };
    });

    const result = await fetchBounded(
      fetch,
      `${provider.url}/cond`,
      { ...LIMITS, etag: '"v1"' },
      0,
    );

    expect(result.status).toBe(304);
    expect(seen).toBe('"v1"');
  });

  it('passes the Retry-After of an error status on', async () => {
    provider.route('/busy', { status: 429, headers: { 'retry-after': '42' } });

    const error = await failure(fetchBounded(fetch, `${provider.url}/busy`, LIMITS, 0));

    expect(error.message).toContain('status 429');
    expect(error.detail.retryAfterSeconds).toBe(42);
  });
});

describe('the text of a body', () => {
  const latin1Set = () => {
    // The JSON of a set whose kid is "clé", encoded as ISO-8859-1: é is the single byte 0xE9.
    const text = JSON.stringify({ keys: [{ ...k1.publicJwk, kid: 'clé' }] });
    return Uint8Array.from(text, (char) => char.charCodeAt(0));
  };

  it('refuses a body that is not UTF-8 as key_set_invalid, naming the problem', async () => {
    provider.route('/latin1', {
      body: latin1Set(),
      headers: { 'content-type': 'application/json' },
    });

    const error = await failure(fetchBounded(fetch, `${provider.url}/latin1`, LIMITS, 0));

    expect(error.code).toBe('key_set_invalid');
    expect(error.message).toContain('not UTF-8');
  });

  it('refuses a UTF-16 body with its byte order mark', async () => {
    const text = JSON.stringify(jwks(k1));
    const utf16 = new Uint8Array(2 + text.length * 2);
    utf16.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) utf16[2 + i * 2] = text.charCodeAt(i);
    provider.route('/utf16', { body: utf16 });

    const error = await failure(
      fetchBounded(fetch, `${provider.url}/utf16`, { ...LIMITS, maxResponseBytes: 4096 }, 0),
    );

    expect(error.code).toBe('key_set_invalid');
  });

  it('drops a UTF-8 byte order mark and reads any content type', async () => {
    const text = JSON.stringify(jwks(k1));
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]);
    for (const type of ['application/jwk-set+json', 'text/plain; charset=utf-8', undefined]) {
      provider.route('/bom', { body: bytes, headers: type ? { 'content-type': type } : {} });
      const issuer = issuerConfig(provider.url, `${provider.url}/bom`);
      const cache = createKeySetCache(authConfig([issuer]), runtime(clock()));

      expect((await cache.getKeys(issuer, 'k1')).keys.map((key) => key.kid)).toEqual(['k1']);
    }
  });

  it('answers key_set_invalid through the cache and keeps a good set when warm', async () => {
    provider.route('/jwks.json', { body: jwks(k1), headers: { 'cache-control': 'max-age=600' } });
    const issuer = issuerConfig(provider.url, `${provider.url}/jwks.json`);
    const time = clock(10_000);
    const warm = createKeySetCache(authConfig([issuer]), runtime(time));
    await warm.getKeys(issuer, 'k1');
    provider.route('/jwks.json', { body: latin1Set() });
    time.advance(601);

    expect((await warm.getKeys(issuer, 'k1')).cache).toBe('stale');
    expect(warm.status(issuer).lastFailure?.code).toBe('key_set_invalid');
    const cold = createKeySetCache(authConfig([issuer]), runtime(time));
    expect((await failure(cold.getKeys(issuer, 'clé'))).code).toBe('key_set_invalid');
  });
});

describe('revalidation with ETag', () => {
  it('renews freshness on a 304 without reparsing, and writes the renewal to the store', async () => {
    provider.route(
      '/jwks.json',
      (req): Reply =>
        req.headers['if-none-match'] === '"v1"'
          ? { status: 304, headers: { 'cache-control': 'max-age=900' } }
          : { body: jwks(k1), headers: { etag: '"v1"', 'cache-control': 'max-age=600' } },
    );
    const issuer = issuerConfig(provider.url, `${provider.url}/jwks.json`);
    const time = clock(10_000);
    const store = memoryStore();
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { store }));
    await cache.getKeys(issuer, 'k1');

    time.advance(601);
    const lookup = await cache.getKeys(issuer, 'k1');

    expect(lookup.cache).toBe('refreshed');
    expect(lookup.keys[0]?.kid).toBe('k1');
    expect(provider.count('/jwks.json')).toBe(2);
    expect(cache.status(issuer).freshUntil).toBe(time.now() + 900_000);
    expect(store.data.get(issuer.jwksUrl as string)?.freshUntil).toBe(time.now() + 900_000);
  });

  it('keeps the lifetime the set had when a 304 carries no caching headers', async () => {
    provider.route(
      '/jwks.json',
      (req): Reply =>
        req.headers['if-none-match'] === '"v1"'
          ? { status: 304 }
          : { body: jwks(k1), headers: { etag: '"v1"', 'cache-control': 'max-age=3600' } },
    );
    const issuer = issuerConfig(provider.url, `${provider.url}/jwks.json`);
    const time = clock(10_000);
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));
    await cache.getKeys(issuer, 'k1');

    time.advance(3601);
    await cache.getKeys(issuer, 'k1');

    expect(provider.count('/jwks.json')).toBe(2);
    expect(cache.status(issuer).freshUntil).toBe(time.now() + 3_600_000);
  });

  it('sends the validators a 304 brought on the next revalidation', async () => {
    const sent: (string | undefined)[] = [];
    provider.route('/jwks.json', (req): Reply => {
      const tag = req.headers['if-none-match'];
      sent.push(tag);
      if (tag === undefined) return { body: jwks(k1), headers: { etag: '"v1"' } };
      return { status: 304, headers: { etag: tag === '"v1"' ? '"v2"' : tag } };
    });
    const issuer = issuerConfig(provider.url, `${provider.url}/jwks.json`);
    const time = clock(10_000);
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));

    for (let i = 0; i < 3; i++) {
      await cache.getKeys(issuer, 'k1');
      time.advance(601);
    }

    expect(sent).toEqual([undefined, '"v1"', '"v2"']);
  });

  it('treats a 304 to an unconditional request as a failure', async () => {
    provider.route('/jwks.json', { status: 304 });
    const issuer = issuerConfig(provider.url, `${provider.url}/jwks.json`);
    const cache = createKeySetCache(authConfig([issuer]), runtime(clock()));

    expect((await failure(cache.getKeys(issuer, 'k1'))).code).toBe('key_set_unavailable');
  });
});
