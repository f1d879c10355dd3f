import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInspect } from '../../tools/commands/inspect.ts';
import { parseClaim, runMint } from '../../tools/commands/mint.ts';
import { startEchoOrigin } from '../../tools/echo/server.ts';
import { type KeyStore, LOCAL_ALGORITHMS, loadKeyStore } from '../../tools/idp/keystore.ts';
import { LOCAL_AUDIENCE } from '../../tools/idp/mint.ts';
import { type LocalProvider, startLocalProvider } from '../../tools/idp/server.ts';
import { UsageError } from '../../tools/lib/output.ts';

const dir = mkdtempSync(join(tmpdir(), 'edge-jwt-idp-'));
const keys = join(dir, 'keys.json');
const jwksFile = join(dir, 'jwks.json');
const issuer = 'https://idp.example.test';
const verifyAt = { issuer, audience: LOCAL_AUDIENCE, jwks: jwksFile };

let store: KeyStore;

beforeAll(async () => {
  // No `npm start` session may leak its issuer into these tests.
  process.env.EDGE_JWT_SESSION = join(dir, 'no-session.json');
  store = await loadKeyStore({ file: keys });
  writeFileSync(jwksFile, JSON.stringify(store.jwks()));
});

describe('the local key store', () => {
  it('generates one key per algorithm and keeps the private keys readable by the owner only', () => {
    expect(store.keys.map((k) => k.alg)).toEqual([...LOCAL_ALGORITHMS]);
    expect(statSync(keys).mode & 0o077).toBe(0);
  });

  it('loads the same keys again from its file', async () => {
    const again = await loadKeyStore({ file: keys });
    expect(again.jwks()).toEqual(store.jwks());
  });

  it('gives two processes that generate at once the same keys', async () => {
    const shared = join(dir, 'race.json');
    const [a, b] = await Promise.all([
      loadKeyStore({ file: shared }),
      loadKeyStore({ file: shared }),
    ]);
    expect(a.jwks()).toEqual(b.jwks());
    expect((await loadKeyStore({ file: shared })).jwks()).toEqual(a.jwks());
  });

  it('refuses a published JWK Set as the key store and leaves the file as it was', async () => {
    const published = JSON.stringify(store.jwks());
    const file = join(dir, 'published-jwks.json');
    writeFileSync(file, published);
    const loading = loadKeyStore({ file });
    await expect(loading).rejects.toBeInstanceOf(UsageError);
    await expect(loadKeyStore({ file })).rejects.toThrow(
      `${file} is not a key store of the local provider: its keys have no private part`,
    );
    expect(readFileSync(file, 'utf8')).toBe(published);
  });

  it('refuses a key store file that is not JSON instead of signing with unpublished keys', async () => {
    const file = join(dir, 'broken-keys.json');
    writeFileSync(file, '{not json');
    await expect(loadKeyStore({ file })).rejects.toThrow(/broken-keys\.json .*: it is not JSON;/);
    expect(readFileSync(file, 'utf8')).toBe('{not json');
  });

  it('refuses a directory as the key store file', async () => {
    await expect(loadKeyStore({ file: dir })).rejects.toThrow(/: it is a directory; give --keys/);
  });

  it('refuses a stored key of an algorithm the provider does not sign with', async () => {
    const file = join(dir, 'hs-keys.json');
    const stored = JSON.parse(readFileSync(keys, 'utf8')) as { keys: { alg: string }[] };
    stored.keys[0] = { ...stored.keys[0], alg: 'HS256' } as { alg: string };
    writeFileSync(file, JSON.stringify(stored));
    await expect(loadKeyStore({ file })).rejects.toThrow(/a key has the algorithm "HS256"/);
  });

  it('publishes public keys only', () => {
    for (const jwk of store.jwks().keys) {
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
        expect(jwk).not.toHaveProperty(secret);
      expect(jwk.use).toBe('sig');
    }
  });
});

describe('mint', () => {
  it('mints a token that the core verifies with the published keys', async () => {
    const { data } = await runMint({ iss: issuer, keys, scope: 'read:api', claim: ['tier=2'] });
    expect(data.payload).toMatchObject({
      iss: issuer,
      aud: LOCAL_AUDIENCE,
      scope: 'read:api',
      tier: 2,
    });
    expect((data.payload.exp ?? 0) - (data.payload.iat ?? 0)).toBe(3600);
    const { exitCode } = await runInspect(data.token, verifyAt);
    expect(exitCode).toBe(0);
  });

  it.each(['ES256', 'EdDSA', 'PS256'])('signs with %s when asked', async (alg) => {
    const { data } = await runMint({ iss: issuer, keys, alg });
    expect(data.header.alg).toBe(alg);
    expect((await runInspect(data.token, verifyAt)).exitCode).toBe(0);
  });

  it('mints a token without exp that the gate refuses', async () => {
    const { data } = await runMint({ iss: issuer, keys, exp: false });
    expect(data.payload.exp).toBeUndefined();
    const inspected = await runInspect(data.token, verifyAt);
    expect(inspected.exitCode).toBe(1);
    expect(inspected.data.steps.find((s) => s.status === 'fail')?.stage).toBe('claims');
  });

  it('mints a token naming an unknown kid that the gate refuses as key_unknown', async () => {
    const { data } = await runMint({ iss: issuer, keys, kid: 'rotated-away' });
    expect((await runInspect(data.token, verifyAt)).data.code).toBe('key_unknown');
  });

  it('mints at another instant with a chosen lifetime and nbf', async () => {
    const { data } = await runMint({
      iss: issuer,
      keys,
      at: '2030-01-01T00:00:00Z',
      ttl: '60',
      nbf: '-5',
    });
    expect(data.payload).toMatchObject({ iat: 1893456000, exp: 1893456060, nbf: 1893455995 });
    const late = await runInspect(data.token, { ...verifyAt, at: '2030-01-01T01:00:00Z' });
    expect(late.data.code).toBe('token_expired');
  });

  it('points a token issued after the checked instant at the clocks, not at maxTokenAgeSeconds', async () => {
    const { data } = await runMint({ iss: issuer, keys, at: '2030-01-01T00:00:00Z' });
    const early = await runInspect(data.token, { ...verifyAt, at: '2029-12-31T23:58:00Z' });
    expect(early.data.code).toBe('token_too_old');
    expect(early.data.fix).toMatch(/after the instant checked .*check the clocks/);
    expect(early.data.fix).not.toMatch(/maxTokenAgeSeconds/);
  });

  it('refuses to guess an issuer when no npm start session is running', async () => {
    await expect(runMint({ keys })).rejects.toBeInstanceOf(UsageError);
  });

  it('reads claim values as JSON when they parse, else as text', () => {
    expect(parseClaim('roles=["a","b"]')).toEqual(['roles', ['a', 'b']]);
    expect(parseClaim('email=a@b.example')).toEqual(['email', 'a@b.example']);
    expect(() => parseClaim('=x')).toThrow(UsageError);
  });
});

describe('the local identity provider over HTTP', () => {
  let provider: LocalProvider;
  beforeAll(async () => {
    provider = await startLocalProvider(store);
  });
  afterAll(() => provider.close());

  it('serves an OpenID configuration that names itself and its key set', async () => {
    const response = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
    const document = (await response.json()) as Record<string, unknown>;
    expect(document).toMatchObject({ issuer: provider.issuer, jwks_uri: provider.jwksUrl });
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
  });

  it('mints tokens at /token that verify through discovery on loopback', async () => {
    const response = await fetch(provider.tokenUrl, {
      method: 'POST',
      body: JSON.stringify({ scope: 'admin', subject: 'alice' }),
    });
    const body = (await response.json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe('Bearer');
    const { exitCode, data } = await runInspect(body.access_token, {
      issuer: provider.issuer,
      audience: LOCAL_AUDIENCE,
    });
    expect(exitCode).toBe(0);
    expect(data.subject).toBe('alice');
  });

  it('mints at POST /token from a standard OAuth form body', async () => {
    const response = await fetch(provider.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'scope=admin&grant_type=client_credentials&subject=bob&lifetimeSeconds=60',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    expect(body.expires_in).toBe(60);
    const payload = decodeJwt(body.access_token);
    expect(payload).toMatchObject({ scope: 'admin', sub: 'bob', iss: provider.issuer });
    expect(payload).not.toHaveProperty('grant_type');
  });

  it('reads a JSON body sent with the form content type, as curl -d sends it', async () => {
    const response = await fetch(provider.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"scope":"read:api admin"}',
    });
    const body = (await response.json()) as { access_token: string };
    expect(decodeJwt(body.access_token).scope).toBe('read:api admin');
  });

  it('answers 400 with a clear reason for a JSON body that does not parse', async () => {
    const response = await fetch(provider.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'scope=admin',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error_description: string };
    expect(body.error_description).toBe(
      'the body is not valid JSON: send a JSON object ({"scope":"admin"}) or a form (scope=admin)',
    );
  });

  it('answers 400 for a form lifetime that is not a number', async () => {
    const response = await fetch(provider.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ lifetimeSeconds: 'soon' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error_description: string };
    expect(body.error_description).toBe('lifetimeSeconds must be a number of seconds');
  });

  it('answers 400 with a reason for an unknown algorithm', async () => {
    const response = await fetch(`${provider.tokenUrl}?alg=HS256`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });
});

describe('the echo origin', () => {
  it('shows the headers it received and redacts credential values', async () => {
    const echo = await startEchoOrigin();
    try {
      const response = await fetch(`${echo.url}/a/b?c=1`, {
        headers: { authorization: 'Bearer secret.token.value', 'x-auth-subject': 'alice' },
      });
      const body = (await response.json()) as {
        path: string;
        query: string;
        headers: Record<string, string>;
      };
      expect(body.path).toBe('/a/b');
      expect(body.query).toBe('?c=1');
      expect(body.headers['x-auth-subject']).toBe('alice');
      expect(body.headers.authorization).toBe('Bearer <redacted, 25 characters>');
      expect(JSON.stringify(body)).not.toContain('secret');
    } finally {
      await echo.close();
    }
  });
});

describe('the demo keys file', () => {
  it('is valid JSON holding the private keys for the next run', () => {
    const stored = JSON.parse(readFileSync(keys, 'utf8')) as { keys: { kid: string }[] };
    expect(stored.keys.map((k) => k.kid)).toContain('local-rs256');
  });
});
