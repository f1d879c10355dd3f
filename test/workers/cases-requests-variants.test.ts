/**
 * C11 and C19 once more through the bundled Worker with requests the other tests do not use:
 * preflights that are not what a browser sends, and cookie credentials on unsafe methods whose
 * origin is only nearly an authorized party.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mint } from '../fixtures/keys.ts';
import { APP_ORIGIN, type Scene, startScene } from './setup.ts';

const CLERK_ISSUER = 'https://clerk.app.example.test';

let scene: Scene;
beforeAll(async () => {
  scene = await startScene({
    vars: { JWT_ISSUER: undefined, JWT_AUDIENCE: undefined, JWKS_URL: undefined },
    auth: (jwksUrl) => ({
      issuers: [
        { issuer: CLERK_ISSUER, provider: 'clerk', authorizedParties: [APP_ORIGIN], jwksUrl },
      ],
      credentials: { bearer: true, cookie: '__session' },
      corsOrigins: [APP_ORIGIN],
    }),
  });
});
afterAll(async () => scene?.close());

const session = () => mint(scene.key, { iss: CLERK_ISSUER, sub: 'user_1', azp: APP_ORIGIN });

describe('C19 requests that only look like preflights', () => {
  it.each([
    ['a blank Access-Control-Request-Method', { 'Access-Control-Request-Method': '  ' }],
    ['a body', { 'Access-Control-Request-Method': 'POST', 'Content-Length': '4' }],
    ['an Origin of null and a forged identity', { Origin: 'null', 'X-Auth-Subject': 'admin' }],
  ])('asks for a token on OPTIONS with %s', async (_, extra: Record<string, string>) => {
    const headers: Record<string, string> = {
      Origin: APP_ORIGIN,
      'Access-Control-Request-Method': 'GET',
      ...extra,
    };
    const { response, arrived } = await scene.send(
      '/orders',
      headers,
      'OPTIONS',
      extra['Content-Length'] ? 'data' : undefined,
    );
    if (extra.Origin === 'null') {
      // A preflight from an opaque origin is still a preflight; it must arrive without the forgery.
      for (const request of arrived()) expect(request.headers['x-auth-subject']).toBeUndefined();
      return;
    }
    expect(response.status).toBe(401);
    expect(arrived()).toHaveLength(0);
  });
});

describe('C11 cookie credentials on unsafe methods from near origins', () => {
  it.each([
    ['the party with a trailing slash', { Origin: `${APP_ORIGIN}/` }],
    ['the party on another port', { Origin: `${APP_ORIGIN}:8443` }],
    ['the party over http', { Origin: APP_ORIGIN.replace('https:', 'http:') }],
    ['a subdomain of the party', { Origin: APP_ORIGIN.replace('https://', 'https://evil.') }],
    ['no Origin and a Referer of another site', { Referer: 'https://evil.example.test/app' }],
    [
      'no Origin and a Referer with the party as its path',
      { Referer: `https://evil.example.test/${APP_ORIGIN}` },
    ],
  ])('rejects a cookie on PATCH with %s', async (_, headers) => {
    const { response, arrived } = await scene.send(
      '/orders/7',
      { Cookie: `__session=${await session()}`, ...headers },
      'PATCH',
      '{}',
    );
    expect(response.status).toBe(403);
    expect(arrived()).toHaveLength(0);
  });

  it('accepts a cookie on PATCH with no Origin and a Referer from the party', async () => {
    const { response, arrived } = await scene.send(
      '/orders/7',
      { Cookie: `__session=${await session()}`, Referer: `${APP_ORIGIN}/page?x=1` },
      'PATCH',
      '{}',
    );
    expect(response.status).toBe(200);
    expect(arrived()).toHaveLength(1);
  });
});
