/**
 * A multi-tenant (Entra-style) issuer through the bundle: the principal is qualified by the
 * token's own tenant, so `sub` values of two tenants never name the same principal, and a token
 * whose `tid` does not match its `iss` is exactly `Unauthorized` (C08).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mint } from '../fixtures/keys.ts';
import {
  captureLogs,
  coldStart,
  type Handler,
  outcome,
  type Scene,
  startScene,
  tokenEvent,
} from './harness.ts';
import { expectIamAnswer, expectUnauthorized } from './shapes.ts';

const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/users/42';
const TENANT_A = '9188040d-6c67-4c5b-b112-36a304b66dad';
const TENANT_B = '72f988bf-86f1-41af-91ab-2d7cd011db47';

let scene: Scene;
let handler: Handler;
let logs: ReturnType<typeof captureLogs>;
const issuerOf = (tenant: string) => `${scene.provider.url}/${tenant}/v2.0`;

beforeAll(async () => {
  scene = await startScene();
  logs = captureLogs();
  handler = await coldStart({
    AUTH_CONFIG: JSON.stringify({
      issuers: [
        {
          issuer: `${scene.provider.url}/{tenantid}/v2.0`,
          provider: 'entra',
          audiences: [scene.audience],
          jwksUrl: `${scene.provider.url}/jwks.json`,
          tenants: '*',
        },
      ],
    }),
  });
});
afterAll(async () => {
  logs.restore();
  await scene.close();
});

function tokenFor(tenant: string, tid: string = tenant) {
  return mint(scene.key, { iss: issuerOf(tenant), aud: scene.audience, sub: 'same-sub', tid });
}

describe('multi-tenant principal', () => {
  it('qualifies the principal with the tenant of the token', async () => {
    const a = expectIamAnswer(
      (await outcome(handler, tokenEvent(`Bearer ${await tokenFor(TENANT_A)}`, ARN))).value,
      ARN,
    );
    const b = expectIamAnswer(
      (await outcome(handler, tokenEvent(`Bearer ${await tokenFor(TENANT_B)}`, ARN))).value,
      ARN,
    );

    expect(a.principalId).toBe(`${TENANT_A}:same-sub`);
    expect(b.principalId).toBe(`${TENANT_B}:same-sub`);
  });

  it('throws Unauthorized when tid differs from the tenant in iss', async () => {
    const token = await tokenFor(TENANT_A, TENANT_B);

    expectUnauthorized(await outcome(handler, tokenEvent(`Bearer ${token}`, ARN)));
  });
});
