/**
 * Real inputs from `../shared/realdata` through the Worker in workerd, served by the loopback
 * provider. workerd's clock is the real one and cannot be set back, so:
 * - the MongoDB test tokens, which expire in 2038, are checked as published, each against the
 *   key set it belongs to, with the expected outcome for today's clock;
 * - the Clerk session token expired in 2022: served with its key set, it must fail as expired
 *   (not as a bad signature), while its tampered twin must fail on the signature;
 * - every published key set is served with one run-time key added in that provider's own shape
 *   (its `kid` style, `alg` present or not, EC with `key_ops`), so a fresh token shows the real
 *   set parses in workerd and keys are picked by `kid` among the provider's own.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, mint, type TestKey } from '../fixtures/keys.ts';
import { REALDATA } from './harness.ts';
import { type Scene, type SceneOptions, startScene } from './setup.ts';

interface RealToken {
  id: string;
  token: string;
  key: { jwks_file?: string };
  summary: { sub?: string };
}

const readJson = (file: string) => JSON.parse(readFileSync(path.join(REALDATA, file), 'utf8'));
const mongo = readJson('tokens/mongodb-oidc-test-tokens.json').tokens as RealToken[];
const clerk = readJson('tokens/clerk-sdk-fixture-tokens.json').tokens as RealToken[];
const byId = (tokens: RealToken[], id: string) => tokens.find((t) => t.id === id)!;

const MONGO_ISSUER = 'https://test.kernel.mongodb.com/oidc/issuer1';

/** A scene whose provider serves `file` byte-exact at `/jwks.json`. */
async function realSetScene(
  file: string,
  vars: Record<string, unknown>,
  auth?: SceneOptions['auth'],
): Promise<Scene> {
  const s = await startScene({ vars, ...(auth === undefined ? {} : { auth }) });
  s.provider.route('/jwks.json', {
    body: readFileSync(path.join(REALDATA, file), 'utf8'),
    headers: { 'content-type': 'application/json', 'cache-control': 'max-age=600' },
  });
  return s;
}

async function codeOf(s: Scene, id: string): Promise<unknown> {
  const [line] = await s.gate.output.waitFor((l) => l.event === 'decision' && l.path === `/${id}`);
  return line?.code;
}

describe('MongoDB test tokens (RS256, RS384, RS512) with their published key sets', () => {
  let s: Scene;
  beforeAll(async () => {
    s = await realSetScene('jwks/mongodb-test-custom-keys.json', {
      JWT_ISSUER: MONGO_ISSUER,
      JWT_AUDIENCE: 'jwt@kernel.mongodb.com',
    });
  });
  afterAll(async () => s?.close());

  const valid = ['mongodb-user1-rs256', 'mongodb-user1-rs384', 'mongodb-user1-rs512'];
  for (const id of [...valid, 'mongodb-user1-custom-key-2']) {
    it(`forwards ${id} with its subject`, async () => {
      const real = byId(mongo, id);
      const answer = await s.gate.fetch(`/${id}`, {
        headers: { Authorization: `Bearer ${real.token}`, 'x-test-id': id },
      });

      expect(answer.status).toBe(200);
      expect(s.origin.withId(id)[0]?.headers['x-auth-subject']).toBe(real.summary.sub);
    });
  }

  const rejected: [string, string][] = [
    ['mongodb-user1-expired', 'token_expired'],
    ['mongodb-user1-not-yet-valid', 'token_not_yet_valid'],
    ['mongodb-user1-wrong-audience', 'audience_invalid'],
    ['mongodb-user1-wrong-issuer', 'issuer_unknown'],
  ];
  for (const [id, code] of rejected) {
    it(`answers 401 with ${code} for ${id}`, async () => {
      const answer = await s.gate.fetch(`/${id}`, {
        headers: { Authorization: `Bearer ${byId(mongo, id).token}` },
      });

      expect(answer.status).toBe(401);
      expect(answer.json().code).toBe(code);
      expect(await codeOf(s, id)).toBe(code);
    });
  }

  it('answers 401 for the custom-key-3 token against the set from before the rotation', async () => {
    const id = 'mongodb-user3-custom-key-3';
    const answer = await s.gate.fetch(`/${id}`, {
      headers: { Authorization: `Bearer ${byId(mongo, id).token}` },
    });

    expect(answer.status).toBe(401);
  });
});

describe('MongoDB key set after the rotation', () => {
  it('forwards the custom-key-3 token with the rotated set', async () => {
    const s = await realSetScene('jwks/mongodb-test-custom-keys_1_3.json', {
      JWT_ISSUER: MONGO_ISSUER,
      JWT_AUDIENCE: 'jwt@kernel.mongodb.com',
    });
    try {
      const real = byId(mongo, 'mongodb-user3-custom-key-3');
      const answer = await s.gate.fetch('/rotated', {
        headers: { Authorization: `Bearer ${real.token}` },
      });

      expect(answer.status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe('Clerk SDK fixture tokens with the Clerk key set', () => {
  let s: Scene;
  beforeAll(async () => {
    const clerkIssuer = 'https://clerk.inspired.puma-74.lcl.dev';
    s = await realSetScene(
      'jwks/clerk-backend-fixture-jwks.json',
      { JWT_ISSUER: undefined, JWT_AUDIENCE: undefined, JWKS_URL: undefined },
      (jwksUrl: string) => ({
        issuers: [
          {
            issuer: clerkIssuer,
            provider: 'clerk',
            authorizedParties: ['https://accounts.inspired.puma-74.lcl.dev'],
            jwksUrl,
          },
        ],
      }),
    );
  });
  afterAll(async () => s?.close());

  it('rejects the 2022 session token as expired, its signature having verified', async () => {
    const real = byId(clerk, 'clerk-mockJwt-session-token');
    const answer = await s.gate.fetch('/clerk-session', {
      headers: { Authorization: `Bearer ${real.token}` },
    });

    expect(answer.status).toBe(401);
    expect(answer.json().code).toBe('token_expired');
  });

  it('rejects the tampered session token on its signature', async () => {
    const real = byId(clerk, 'clerk-mockInvalidSignatureJwt');
    const answer = await s.gate.fetch('/clerk-tampered', {
      headers: { Authorization: `Bearer ${real.token}` },
    });

    expect(answer.status).toBe(401);
    expect(answer.json().code).toBe('token_signature_invalid');
  });
});

/** Every published JWK Set, and the shape of the run-time key added to it. */
const SETS: [file: string, alg: 'RS256' | 'ES256', kid: string, publishAlg: boolean][] = [
  ['jwks/apple-auth-keys.json', 'RS256', 'Zx9RunTime1', true],
  ['jwks/auth0-common-jwks.json', 'RS256', 'UnVudGltZUtleUZvclRlc3RzMDAwMDAwMDA', true],
  ['jwks/aws-cognito-userpool-us-east-1_BGU9CKFCM.json', 'RS256', 'rUn+tImE/kEy+w1tH=', true],
  ['jwks/clerk-backend-fixture-jwks.json', 'RS256', 'ins_2RunTimeKeyForTests000', true],
  ['jwks/clerk-backend-fixture-jwks-ins_1234-unusual-exponent.json', 'RS256', 'ins_5678', true],
  ['jwks/entra-common-discovery-v2.0-keys.json', 'RS256', 'RunTimeKeyNoAlg0000000000', false],
  ['jwks/gitlab-com-oauth-discovery-keys.json', 'RS256', 'runtime-gitlab-style-kid-0000', true],
  ['jwks/google-oauth2-v3-certs.json', 'RS256', '0123456789abcdef0123456789abcdef01234567', true],
  ['jwks/keycloak-master-realm-certs.json', 'RS256', 'runTimeKeycloakKid000000000000', true],
  ['jwks/kubernetes-serviceaccount-issuer-jwks.json', 'RS256', 'runtime-k8s-kid', true],
  ['jwks/mongodb-test-custom-keys.json', 'RS256', 'custom-key-9', false],
  ['jwks/okta-common-oauth2-v1-keys.json', 'RS256', 'runtimeOktaKid00000000000000000', true],
  ['jwks/supabase-es256-signing-key.json', 'ES256', '00000000-0000-4000-8000-000000000000', true],
];

describe('published key sets with a run-time key in the provider shape', () => {
  let s: Scene;
  const keys = new Map<string, TestKey>();
  const issuerOf = (file: string) => `https://realdata.test/${path.basename(file, '.json')}`;

  beforeAll(async () => {
    for (const [file, alg, kid, publishAlg] of SETS) {
      keys.set(file, await makeKey(alg, kid, { publishAlg }));
    }
    s = await startScene({
      vars: { JWT_ISSUER: undefined, JWT_AUDIENCE: undefined, JWKS_URL: undefined },
      auth: (jwksUrl) => ({
        issuers: SETS.map(([file]) => ({
          issuer: issuerOf(file),
          audiences: ['realdata'],
          jwksUrl: jwksUrl.replace('/jwks.json', `/${path.basename(file)}`),
        })),
      }),
    });
    for (const [file] of SETS) {
      const published = readJson(file) as { keys: JWK[] };
      const own = keys.get(file)!.publicJwk;
      // Supabase publishes `key_ops` and `ext` beside `alg`: give the added key the same members.
      const shaped = file.includes('supabase')
        ? { ...own, use: undefined, key_ops: ['verify'], ext: true }
        : own;
      s.provider.route(`/${path.basename(file)}`, {
        body: { ...published, keys: [...published.keys, shaped] },
        headers: { 'cache-control': 'max-age=600' },
      });
    }
  });
  afterAll(async () => s?.close());

  it('logs the Keycloak encryption key as skipped, once', async () => {
    const file = 'jwks/keycloak-master-realm-certs.json';
    const token = await mint(keys.get(file)!, { iss: issuerOf(file), aud: 'realdata', sub: 'rt' });
    await s.gate.fetch('/keycloak-skip-1', { headers: { Authorization: `Bearer ${token}` } });
    await s.gate.fetch('/keycloak-skip-2', { headers: { Authorization: `Bearer ${token}` } });

    await s.gate.output.waitFor((l) => l.path === '/keycloak-skip-2');
    const lines = s.gate.output.events('key_set').filter((l) => l.issuer === issuerOf(file));
    expect(lines).toHaveLength(1);
    const skipped = lines[0]?.skipped as { kid?: string }[];
    expect(skipped.map((k) => k.kid)).toContain('Q2O_f0Z7hVL1WUxKQbChyWK_FzQK-qRZh4Kg9mxxt_I');
  });

  for (const [file] of SETS) {
    it(`verifies a fresh token among the keys of ${path.basename(file)}`, async () => {
      const token = await mint(keys.get(file)!, {
        iss: issuerOf(file),
        aud: 'realdata',
        sub: 'rt',
      });
      const answer = await s.gate.fetch(`/${path.basename(file)}`, {
        headers: { Authorization: `Bearer ${token}` },
      });

      expect(answer.status).toBe(200);
    });

    it(`rejects a token naming a published kid of ${path.basename(file)} it was not signed by`, async () => {
      const published = (readJson(file) as { keys: JWK[] }).keys.find((k) => k.use !== 'enc');
      const own = keys.get(file)!;
      const impostor = { ...own, kid: published?.kid ?? 'none' };
      const token = await mint(impostor, { iss: issuerOf(file), aud: 'realdata', sub: 'rt' });
      const answer = await s.gate.fetch(`/${path.basename(file)}-impostor`, {
        headers: { Authorization: `Bearer ${token}` },
      });

      expect(answer.status).toBe(401);
    });
  }
});
