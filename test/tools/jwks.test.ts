import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJwks } from '../../tools/commands/jwks.ts';
import { realPath, realToken } from './realdata.ts';

const jwks = (name: string) => realPath(`jwks/${name}`);

describe('jwks on the real key sets', () => {
  it('lists every key of every published set as usable except the ones the gate skips', async () => {
    const expectations: Record<string, { keys: number; unusable: string[] }> = {
      'apple-auth-keys.json': { keys: 4, unusable: [] },
      'auth0-common-jwks.json': { keys: 2, unusable: [] },
      'aws-cognito-userpool-us-east-1_BGU9CKFCM.json': { keys: 2, unusable: [] },
      'clerk-backend-fixture-jwks.json': { keys: 1, unusable: [] },
      'clerk-backend-fixture-jwks-ins_1234-unusual-exponent.json': { keys: 1, unusable: [] },
      'entra-common-discovery-v2.0-keys.json': { keys: 8, unusable: [] },
      'gitlab-com-oauth-discovery-keys.json': { keys: 2, unusable: [] },
      'google-oauth2-v3-certs.json': { keys: 2, unusable: [] },
      'keycloak-master-realm-certs.json': {
        keys: 2,
        unusable: ['Q2O_f0Z7hVL1WUxKQbChyWK_FzQK-qRZh4Kg9mxxt_I'],
      },
      'kubernetes-serviceaccount-issuer-jwks.json': { keys: 1, unusable: [] },
      'mongodb-test-custom-keys.json': { keys: 3, unusable: ['custom-key-3'] },
      'mongodb-test-custom-keys_1_3.json': { keys: 2, unusable: [] },
      'okta-common-oauth2-v1-keys.json': { keys: 2, unusable: [] },
      'supabase-es256-signing-key.json': { keys: 1, unusable: [] },
    };
    for (const [file, expected] of Object.entries(expectations)) {
      const { data, exitCode } = await runJwks(jwks(file));
      expect(data.isJwkSet, file).toBe(true);
      expect(exitCode, file).toBe(0);
      expect(data.keys, file).toHaveLength(expected.keys);
      expect(
        data.keys.filter((k) => !k.usable).map((k) => k.kid),
        file,
      ).toEqual(expected.unusable);
    }
  });

  it('warns about the encryption key in the Keycloak set', async () => {
    const { data } = await runJwks(jwks('keycloak-master-realm-certs.json'));
    const enc = data.keys.find((k) => k.use === 'enc');
    expect(enc?.alg).toBe('RSA-OAEP');
    expect(enc?.warnings.join(' ')).toMatch(/skipped by the gate: use is "enc"/);
  });

  it('warns about the short 2040-bit RSA key in the MongoDB set', async () => {
    const { data } = await runJwks(jwks('mongodb-test-custom-keys.json'));
    const short = data.keys.find((k) => k.kid === 'custom-key-3');
    expect(short?.size).toBe('RSA 2040');
    expect(short?.warnings.join(' ')).toMatch(/2040 bits is under 2048/);
  });

  it('reports keys without alg once for the Entra set and the curve of the Supabase key', async () => {
    const entra = await runJwks(jwks('entra-common-discovery-v2.0-keys.json'));
    expect(entra.data.warnings).toContain(
      "8 usable key(s) without alg: the issuer's algorithm allow-list decides",
    );
    const supabase = await runJwks(jwks('supabase-es256-signing-key.json'));
    expect(supabase.data.keys[0]).toMatchObject({
      kty: 'EC',
      alg: 'ES256',
      size: 'P-256',
      usable: true,
    });
  });

  it('notes the unusual exponent of the Clerk key and the non-standard x5t of the Auth0 legacy key', async () => {
    const clerk = await runJwks(jwks('clerk-backend-fixture-jwks-ins_1234-unusual-exponent.json'));
    expect(clerk.data.keys[0]?.warnings).toContain(
      'RSA exponent is not 65537 (unusual, still valid)',
    );
    const auth0 = await runJwks(jwks('auth0-common-jwks.json'));
    const flagged = auth0.data.keys.filter((k) => k.warnings.some((w) => w.startsWith('x5t')));
    expect(flagged).toHaveLength(1);
  });

  it('says the Google v1 certificate map is not a JWK Set and fails', async () => {
    const file = jwks('google-certs-2020-12-v1-x509-v2-padded-v3-jwks.json');
    const result = await runJwks(file, { member: 'v1_x509_map' });
    expect(result.exitCode).toBe(1);
    expect(result.data.isJwkSet).toBe(false);
    expect(result.data.warnings[0]).toMatch(/not a JWK Set: .*map of key ids to PEM certificates/);
  });

  it('warns about the padded n of the Google v2 set while the gate still uses it', async () => {
    const file = jwks('google-certs-2020-12-v1-x509-v2-padded-v3-jwks.json');
    const { data } = await runJwks(file, { member: 'v2_jwks_padded_n' });
    expect(data.keys.every((k) => k.usable)).toBe(true);
    expect(data.keys.every((k) => k.warnings.some((w) => w.includes('"=" padding')))).toBe(true);
  });

  it('points at --member for a file that wraps several documents', async () => {
    const { data, exitCode } = await runJwks(
      jwks('google-certs-2020-12-v1-x509-v2-padded-v3-jwks.json'),
    );
    expect(exitCode).toBe(1);
    expect(data.warnings.join('\n')).toMatch(/pick one with --member/);
  });

  it('suggests only the members that are JWK Sets, not the v1 certificate map', async () => {
    const { data } = await runJwks(jwks('google-certs-2020-12-v1-x509-v2-padded-v3-jwks.json'));
    expect(data.warnings[1]).toBe(
      'the file holds JWK Sets under v2_jwks_padded_n, v3_jwks: pick one with --member v2_jwks_padded_n',
    );
  });

  it('suggests no member for the captured response headers, whose members hold no keys', async () => {
    const { data, exitCode } = await runJwks(jwks('_http-response-headers.json'));
    expect(exitCode).toBe(1);
    expect(data.isJwkSet).toBe(false);
    expect(data.warnings).toHaveLength(1);
    expect(data.warnings[0]).toMatch(/^not a JWK Set: /);
    expect(data.warnings.join('\n')).not.toContain('--member');
  });

  it('says a "keys" that is no array is not a JWK Set, and suggests no --member keys', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'jwks-')), 'keys-object.json');
    writeFileSync(file, '{"keys":{}}');
    const { data, exitCode } = await runJwks(file);
    expect(exitCode).toBe(1);
    expect(data.warnings).toEqual(['not a JWK Set: "keys" is not an array (RFC 7517 §5.1)']);
  });

  it('says a discovery document is not a JWK Set and names its jwks_uri', async () => {
    const { data, exitCode } = await runJwks(realPath('discovery/google.json'));
    expect(exitCode).toBe(1);
    expect(data.warnings[0]).toMatch(/OpenID configuration document.*jwks_uri/);
  });

  it('warns about the kid-less WebCrypto key of the Clerk fixtures', async () => {
    const fixture = realToken(
      'clerk-sdk-fixture-tokens.json',
      'clerk-signedJwt-keyops-verify-jwk-without-kid',
    );
    const file = join(mkdtempSync(join(tmpdir(), 'jwks-')), 'kidless.json');
    writeFileSync(file, JSON.stringify({ keys: [fixture.key.jwk] }));
    const { data, exitCode } = await runJwks(file);
    expect(exitCode).toBe(0);
    expect(data.keys[0]).toMatchObject({ kid: undefined, usable: true, keyOps: ['verify'] });
    expect(data.keys[0]?.warnings).toContain(
      'no kid: tried for tokens without a kid, or whose kid is not in the set (RFC 7517 §4.5)',
    );
  });

  it('flags duplicate kids and a set with no usable key', async () => {
    const keycloak = JSON.parse(readFileSync(jwks('keycloak-master-realm-certs.json'), 'utf8'));
    const enc = keycloak.keys[1];
    const file = join(mkdtempSync(join(tmpdir(), 'jwks-')), 'dup.json');
    writeFileSync(file, JSON.stringify({ keys: [enc, { ...enc }] }));
    const { data, exitCode } = await runJwks(file);
    expect(exitCode).toBe(1);
    expect(data.warnings.some((w) => w.startsWith(`duplicate kid "${enc.kid}"`))).toBe(true);
    expect(data.warnings).toContain(
      'no key in the set can verify signatures: every token will be refused',
    );
  });
});

describe('jwks over HTTP with the providers real caching headers', () => {
  const captured = JSON.parse(readFileSync(jwks('_http-response-headers.json'), 'utf8'));
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const name = (req.url ?? '/').slice(1);
      if (name.startsWith('moved')) {
        res.writeHead(301, { location: `${base}/auth0_jwks` }).end();
        return;
      }
      if (name === '.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/auth0_jwks` }));
        return;
      }
      const entry = captured[name] as
        | { headers: [string, string][]; body_file: string }
        | undefined;
      if (!entry) {
        res.writeHead(404).end();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [key, value] of entry.headers) {
        // Transfer and length headers describe the original body, not this one.
        if (!/^(transfer-encoding|content-length|connection)$/i.test(key)) headers[key] = value;
      }
      res.writeHead(200, headers).end(readFileSync(jwks(entry.body_file)));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('clamps Auth0 max-age=15 up to the 60 s lower bound', async () => {
    const { data } = await runJwks(`${base}/auth0_jwks`);
    expect(data.cache?.headers['cache-control']).toContain('max-age=15');
    expect(data.cache).toMatchObject({ statedSeconds: 15, freshSeconds: 60, basis: 'max-age' });
  });

  it('clamps the very long Okta max-age down to one day', async () => {
    const { data } = await runJwks(`${base}/okta_jwks`);
    expect(data.cache).toMatchObject({ statedSeconds: 3828277, freshSeconds: 86400 });
  });

  it('treats Keycloak no-cache as the lower bound, never a fetch per request', async () => {
    const { data, text } = await runJwks(`${base}/keycloak_jwks`);
    expect(data.cache).toMatchObject({ statedSeconds: 0, freshSeconds: 60, basis: 'no-cache' });
    expect(text).toMatch(/the gate keeps it 60 s/);
  });

  it('reports a redirect as the gate meets it: not followed, with the target named', async () => {
    await expect(runJwks(`${base}/moved/keys`)).rejects.toThrow(
      /redirect 301 to http:\/\/127\.0\.0\.1:\d+\/auth0_jwks/,
    );
  });

  it('follows an issuer to its key set through discovery', async () => {
    const { data, exitCode } = await runJwks(base);
    expect(exitCode).toBe(0);
    expect(data.source).toMatchObject({ via: 'discovery', location: `${base}/auth0_jwks` });
    expect(data.keys).toHaveLength(2);
  });
});
