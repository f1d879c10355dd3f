/**
 * Every real key set in ../shared/realdata/jwks, served byte-exact by the loopback provider,
 * loads through the cache: the unusable keys in them are skipped, the rest imports with jose,
 * and the documents that are not JWK Sets are operator errors.
 */
import { readdirSync } from 'node:fs';
import { createServer as createTcpServer, type Socket } from 'node:net';
import path from 'node:path';
import { importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../../shared/errors.ts';
import { createKeySetCache } from '../../../shared/jwks/cache.ts';
import { type Provider, startProvider } from '../../fixtures/provider.ts';
import { authConfig, clock, issuerConfig, realdata, realFile, runtime } from './support.ts';

/** Keys each real set is expected to lose, by file, with the reason. */
const EXPECTED_SKIPS: Record<string, { kid: string; reason: string }[]> = {
  'keycloak-master-realm-certs.json': [
    { kid: 'Q2O_f0Z7hVL1WUxKQbChyWK_FzQK-qRZh4Kg9mxxt_I', reason: 'use is "enc", not "sig"' },
  ],
  'mongodb-test-custom-keys.json': [
    { kid: 'custom-key-3', reason: 'RSA modulus of 2040 bits is under 2048' },
  ],
};

/** Files in jwks/ that are not a JWK Set at all. */
const NOT_A_SET = ['google-certs-2020-12-v1-x509-v2-padded-v3-jwks.json'];

const setFiles = readdirSync(path.join(realdata, 'jwks')).filter(
  (name) => name.endsWith('.json') && !name.startsWith('_') && !NOT_A_SET.includes(name),
);

let provider: Provider;

beforeAll(async () => {
  provider = await startProvider();
});

afterAll(async () => {
  await provider.close();
});

/** Serves `body` byte-exact at a fresh path and returns an issuer whose key set is there. */
function serve(name: string, body: string, headers: Record<string, string> = {}) {
  const route = `/${name}`;
  provider.route(route, { body, headers: { 'content-type': 'application/json', ...headers } });
  return issuerConfig(`https://${name}.example`, `${provider.url}${route}`);
}

describe('real key sets', () => {
  it('finds the real key sets on disk', () => {
    expect(setFiles.length).toBeGreaterThanOrEqual(14);
  });

  it.each(setFiles)('loads %s with only its unusable keys skipped', async (file) => {
    const body = realFile(`jwks/${file}`);
    const published = JSON.parse(body).keys as { kid: string }[];
    const issuer = serve(file, body);
    const cache = createKeySetCache(authConfig([issuer]), runtime(clock()));

    const lookup = await cache.getKeys(issuer, undefined);
    const skipped = EXPECTED_SKIPS[file] ?? [];

    expect(cache.status(issuer).skipped).toEqual(skipped);
    expect(lookup.keys).toHaveLength(published.length - skipped.length);
    for (const key of lookup.keys) {
      // Every key we call usable imports with jose under an algorithm it can verify.
      const alg = key.alg ?? (key.kty === 'RSA' ? 'RS256' : 'ES256');
      await expect(importJWK(key.jwk as never, alg)).resolves.toBeDefined();
      expect(cache.hasKey(issuer, key.kid)).toBe(true);
      expect((await cache.getKeys(issuer, key.kid)).keys).toContain(key);
    }
  });

  it('keys Cognito kids containing +, / and = exactly as published', async () => {
    const body = realFile('jwks/aws-cognito-userpool-us-east-1_BGU9CKFCM.json');
    const issuer = serve('cognito', body);
    const cache = createKeySetCache(authConfig([issuer]), runtime(clock()));
    const kids = (JSON.parse(body).keys as { kid: string }[]).map((k) => k.kid);

    expect(kids.join('')).toMatch(/[+/=]/);
    for (const kid of kids) expect((await cache.getKeys(issuer, kid)).keys).toHaveLength(1);
  });

  it('keeps Entra keys that publish no alg, with their issuer member untouched', async () => {
    const issuer = serve('entra', realFile('jwks/entra-common-discovery-v2.0-keys.json'));
    const cache = createKeySetCache(authConfig([issuer]), runtime(clock()));

    const { keys } = await cache.getKeys(issuer, undefined);

    expect(keys.every((k) => k.alg === undefined)).toBe(true);
    expect(keys[0]?.jwk.issuer).toBe('https://login.microsoftonline.com/{tenantid}/v2.0');
  });

  it('loads the mongodb set after rotation, where custom-key-3 became usable', async () => {
    const issuer = serve('mongo13', realFile('jwks/mongodb-test-custom-keys_1_3.json'));
    const cache = createKeySetCache(authConfig([issuer]), runtime(clock()));

    expect((await cache.getKeys(issuer, 'custom-key-3')).keys).toHaveLength(1);
  });
});

describe('Google certificate formats', () => {
  const google = JSON.parse(realFile('jwks/google-certs-2020-12-v1-x509-v2-padded-v3-jwks.json'));

  async function codeAndMessage(body: string): Promise<[string, string]> {
    const issuer = serve(`g${Math.random()}`, body);
    const cache = createKeySetCache(authConfig([issuer]), runtime(clock()));
    try {
      await cache.getKeys(issuer, undefined);
    } catch (error) {
      if (error instanceof AuthError) return [error.code, error.message];
      throw error;
    }
    return ['none', ''];
  }

  it('rejects the v1 PEM certificate map as key_set_invalid naming the format', async () => {
    const [code, message] = await codeAndMessage(JSON.stringify(google.v1_x509_map));
    expect(code).toBe('key_set_invalid');
    expect(message).toContain('PEM certificates');
  });

  it('rejects the combined fixture file itself as not a JWK Set', async () => {
    const [code] = await codeAndMessage(
      realFile('jwks/google-certs-2020-12-v1-x509-v2-padded-v3-jwks.json'),
    );
    expect(code).toBe('key_set_invalid');
  });

  it('loads the v2 set with =-padded n and the v3 set to the same keys', async () => {
    const v2 = serve('v2', JSON.stringify(google.v2_jwks_padded_n));
    const v3 = serve('v3', JSON.stringify(google.v3_jwks));
    const cache = createKeySetCache(authConfig([v2, v3]), runtime(clock()));

    const padded = await cache.getKeys(v2, undefined);
    const plain = await cache.getKeys(v3, undefined);

    expect(padded.keys.map((k) => k.jwk)).toEqual(plain.keys.map((k) => k.jwk));
    await expect(importJWK(padded.keys[0]?.jwk as never, 'RS256')).resolves.toBeDefined();
  });
});

describe('real provider caching headers through the cache', () => {
  const captured = JSON.parse(realFile('jwks/_http-response-headers.json')) as Record<
    string,
    { body_file?: string | null; headers?: [string, string][] }
  >;
  // Hop-by-hop and length headers describe the original transfer, not this one.
  const KEPT = ['cache-control', 'expires', 'date', 'last-modified', 'content-type', 'age'];

  it.each([
    ['auth0_jwks', 60],
    ['okta_jwks', 86_400],
    ['keycloak_jwks', 60],
  ])('gives the %s response a freshness of %i s', async (name, seconds) => {
    const entry = captured[name];
    const headers = Object.fromEntries(
      (entry?.headers ?? []).filter(([key]) => KEPT.includes(key.toLowerCase())),
    );
    const issuer = serve(name, realFile(`jwks/${entry?.body_file}`), headers);
    const time = clock(Date.parse('2022-11-12T20:00:00Z'));
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));

    await cache.getKeys(issuer, undefined);

    expect(cache.status(issuer).freshUntil).toBe(time.now() + seconds * 1000);
  });
});

/**
 * A TCP server that answers every request with one captured response: the status line, every
 * captured header line exactly as recorded (hop-by-hop ones included), and the body framed the
 * way those headers say: chunked, cut to the declared Content-Length, or ended by closing.
 */
async function replay(headers: [string, string][], body: string) {
  const bytes = Buffer.from(body, 'utf8');
  const named = (name: string) => headers.find(([key]) => key.toLowerCase() === name)?.[1];
  const declared = named('content-length');
  const chunked = named('transfer-encoding')?.toLowerCase() === 'chunked';
  let framed: Buffer;
  if (chunked) {
    const size = Buffer.from(`${bytes.length.toString(16)}\r\n`);
    framed = Buffer.concat([size, bytes, Buffer.from('\r\n0\r\n\r\n')]);
  } else if (declared !== undefined) {
    framed = bytes.subarray(0, Number(declared));
  } else {
    framed = bytes;
  }
  const head = ['HTTP/1.1 200 OK', ...headers.map(([key, value]) => `${key}: ${value}`)];
  const closes = !chunked && declared === undefined;
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (data) => {
      if (!data.includes('\r\n\r\n')) return;
      requests += 1;
      socket.write(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), framed]));
      if (closes) socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('real provider responses replayed with every captured header', () => {
  const captured = JSON.parse(realFile('jwks/_http-response-headers.json')) as Record<
    string,
    { request_url?: string; body_file?: string | null; headers?: [string, string][] }
  >;
  const sets = Object.entries(captured).filter(
    ([name, entry]) => name.endsWith('_jwks') && typeof entry.body_file === 'string',
  );
  const FRESHNESS: Record<string, number> = {
    auth0_jwks: 60,
    okta_jwks: 86_400,
    keycloak_jwks: 60,
  };

  it('replays every captured key-set response', () => {
    expect(sets.map(([name]) => name).sort()).toEqual(Object.keys(FRESHNESS).sort());
  });

  it.each(sets)('loads %s and gives it the freshness its headers ask for', async (name, entry) => {
    const body = realFile(`jwks/${entry.body_file}`);
    const server = await replay(entry.headers ?? [], body);
    try {
      const issuer = issuerConfig(`https://${name}.example`, `${server.url}/jwks`);
      const time = clock(Date.parse('2022-11-12T20:00:00Z'));
      const cache = createKeySetCache(authConfig([issuer]), runtime(time));

      const lookup = await cache.getKeys(issuer, undefined);
      time.advance(30);
      await cache.getKeys(issuer, undefined);

      expect(lookup.keys.length).toBeGreaterThan(0);
      expect(cache.status(issuer).freshUntil).toBe(time.now() - 30_000 + FRESHNESS[name]! * 1000);
      expect(server.requests()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('discovers Auth0 through its discovery response replayed with its own headers', async () => {
    const discovery = captured.auth0_discovery;
    const jwksEntry = captured.auth0_jwks;
    const document = realFile('discovery/auth0-common.json');
    const jwksUri = JSON.parse(document).jwks_uri as string;
    const discoveryServer = await replay(discovery?.headers ?? [], document);
    const jwksServer = await replay(
      jwksEntry?.headers ?? [],
      realFile('jwks/auth0-common-jwks.json'),
    );
    try {
      // Both real addresses are on one host: each is routed by its path to its replaying server.
      const routes = new Map([
        [discovery?.request_url as string, discoveryServer.url],
        [jwksUri, jwksServer.url],
      ]);
      const fetchFn: typeof fetch = (input, init) => {
        const target = routes.get(String(input));
        if (target === undefined) return Promise.reject(new TypeError('unexpected address'));
        return fetch(`${target}${new URL(String(input)).pathname}`, init);
      };
      const issuer = issuerConfig('https://common.auth0.com/', undefined);
      const time = clock(Date.parse('2022-11-12T20:00:00Z'));
      const cache = createKeySetCache(authConfig([issuer]), runtime(time, { fetch: fetchFn }));

      const lookup = await cache.getKeys(issuer, undefined);

      expect(lookup.keys.length).toBeGreaterThan(0);
      expect(cache.status(issuer).jwksUrl).toBe(jwksUri);
      expect(discoveryServer.requests()).toBe(1);
      expect(jwksServer.requests()).toBe(1);
    } finally {
      await discoveryServer.close();
      await jwksServer.close();
    }
  });
});
