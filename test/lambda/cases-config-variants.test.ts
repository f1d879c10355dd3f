/**
 * C07, C08 and C10 once more through the Lambda bundle with inputs the other tests do not use:
 * blank issuers and audiences spelled with other whitespace or as lists of blanks fail the
 * start-up (never a verifier that accepts anything); Entra tokens whose tenant is of the wrong
 * type, missing, off the list or spelled into another issuer shape, and Cognito tokens whose
 * client or use is spelled otherwise, are exactly `Unauthorized`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mint } from '../fixtures/keys.ts';
import { captureLogs, coldStart, outcome, type Scene, startScene, tokenEvent } from './harness.ts';

let scene: Scene;
let logs: ReturnType<typeof captureLogs>;
beforeAll(async () => {
  scene = await startScene();
  logs = captureLogs();
});
afterAll(async () => {
  logs.restore();
  await scene.close();
});

async function answer(env: Record<string, string>, token: string): Promise<string> {
  const handler = await coldStart(env);
  const result = await outcome(handler, tokenEvent(`Bearer ${token}`));
  if (result.error) return `error: ${result.error.message}`;
  const effects = (
    result.value as { policyDocument: { Statement: { Effect: string }[] } }
  ).policyDocument.Statement.map((s) => s.Effect);
  return effects.includes('Allow') ? 'allow' : 'deny';
}

describe('C07 blank issuer or audience', () => {
  it.each([
    ['JWT_AUDIENCE a no-break space', { JWT_AUDIENCE: '\u00a0' }],
    ['JWT_AUDIENCE a tab and a newline', { JWT_AUDIENCE: '\t\n' }],
    ['JWT_AUDIENCE a list of blanks', { JWT_AUDIENCE: ' , ' }],
    ['JWT_ISSUER an ideographic space', { JWT_ISSUER: '\u3000' }],
  ])('%s fails the start-up, never allows', async (_, change: Record<string, string>) => {
    const env = { ...scene.env(), ...change };
    const token = await scene.token({ aud: change.JWT_AUDIENCE ?? scene.audience });
    const result = await answer(env, token);
    expect(result).toMatch(/^error: /);
    expect(result).not.toBe('error: Unauthorized');
  });

  it('fails the start-up for an AUTH_CONFIG issuer with blank audiences', async () => {
    const env = {
      AUTH_CONFIG: JSON.stringify({
        issuers: [{ issuer: scene.issuer, audiences: [' '], jwksUrl: scene.env().JWKS_URL }],
      }),
    };
    const result = await answer(env, await scene.token({ aud: ' ' }));
    expect(result).toMatch(/^error: /);
    expect(result).not.toBe('error: Unauthorized');
  });
});

const TENANT_A = '9188040d-6c67-4c5b-b112-36a304b66dad';
const TENANT_B = '72f988bf-86f1-41af-91ab-2d7cd011db47';

describe('C08 Entra tenants', () => {
  const entra = () => ({
    AUTH_CONFIG: JSON.stringify({
      issuers: [
        {
          issuer: `${scene.provider.url}/{tenantid}/v2.0`,
          provider: 'entra',
          audiences: [scene.audience],
          jwksUrl: `${scene.provider.url}/jwks.json`,
          tenants: [TENANT_A],
        },
      ],
    }),
  });
  const iss = (tenant: string) => `${scene.provider.url}/${tenant}/v2.0`;

  it('allows a listed tenant whose tid matches its iss', async () => {
    const token = await mint(scene.key, { iss: iss(TENANT_A), aud: scene.audience, tid: TENANT_A });
    expect(await answer(entra(), token)).toBe('allow');
  });

  // The issuer as the path after the provider address, so the table is built before the scene.
  it.each([
    ['a consistent tenant that is not listed', `/${TENANT_B}/v2.0`, TENANT_B],
    ['no tid', `/${TENANT_A}/v2.0`, undefined],
    ['tid as a one-element array', `/${TENANT_A}/v2.0`, [TENANT_A]],
    ['the iss with a trailing slash', `/${TENANT_A}/v2.0/`, TENANT_A],
    [
      'a tid that walks out of its path segment',
      `/${TENANT_B}/v2.0/../${TENANT_A}/v2.0`,
      `${TENANT_B}/v2.0/../${TENANT_A}`,
    ],
  ])('refuses %s', async (_, path, tid) => {
    const token = await mint(scene.key, {
      iss: `${scene.provider.url}${path}`,
      aud: scene.audience,
      tid,
    });
    expect(await answer(entra(), token)).toBe('error: Unauthorized');
  });
});

describe('C10 Cognito access tokens', () => {
  const cognito = () => ({
    AUTH_CONFIG: JSON.stringify({
      issuers: [
        {
          issuer: scene.issuer,
          provider: 'cognito',
          clientIds: ['C1'],
          tokenUse: 'access',
          jwksUrl: `${scene.provider.url}/jwks.json`,
        },
      ],
    }),
  });
  const access = (claims: Record<string, unknown>) =>
    mint(scene.key, { iss: scene.issuer, aud: undefined, sub: 'u', ...claims });

  it('allows the access token of the configured client', async () => {
    expect(await answer(cognito(), await access({ token_use: 'access', client_id: 'C1' }))).toBe(
      'allow',
    );
  });

  it.each([
    ['client_id as an array', { token_use: 'access', client_id: ['C1'] }],
    ['client_id in another case', { token_use: 'access', client_id: 'c1' }],
    ['token_use capitalised', { token_use: 'Access', client_id: 'C1' }],
    ['an access token that also names the client as aud only', { token_use: 'access', aud: 'C1' }],
  ])('refuses %s', async (_, claims) => {
    expect(await answer(cognito(), await access(claims))).toBe('error: Unauthorized');
  });
});
