/**
 * C11 at the HTTP level: a Clerk issuer with authorized parties, tokens from `Authorization` or
 * the `__session` cookie, and the CSRF rule for cookies on unsafe methods.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mint } from '../fixtures/keys.ts';
import { APP_ORIGIN, type Scene, startScene } from './setup.ts';

const CLERK_ISSUER = 'https://clerk.app.example.test';
const OTHER_ORIGIN = 'https://evil.example.test';

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
      realm: 'clerk-test',
    }),
  });
});
afterAll(async () => {
  await scene?.close();
});

/** A Clerk-style session token (no `aud`; `azp` names the front end). */
const session = (claims: Record<string, unknown> = {}) =>
  mint(scene.key, {
    iss: CLERK_ISSUER,
    sub: 'user_2abc',
    sid: 'sess_1',
    azp: APP_ORIGIN,
    ...claims,
  });

let counter = 0;
async function send(method: string, headers: Record<string, string>, path = '/orders') {
  const id = `c11-${++counter}`;
  const response = await scene.gate.fetch(path, {
    method,
    headers: { 'x-test-id': id, ...headers },
  });
  return { response, arrived: scene.origin.withId(id) };
}

describe('C11 Clerk azp and the __session cookie', () => {
  it('accepts a bearer token whose azp is an authorized party', async () => {
    const { response, arrived } = await send('GET', { Authorization: `Bearer ${await session()}` });

    expect(response.status).toBe(200);
    expect(arrived[0]?.headers['x-auth-subject']).toBe('user_2abc');
  });

  it('rejects a token whose azp is missing', async () => {
    const token = await session({ azp: undefined });
    const { response, arrived } = await send('GET', { Authorization: `Bearer ${token}` });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(arrived).toHaveLength(0);
  });

  it('rejects a token whose azp is not an authorized party', async () => {
    const token = await session({ azp: OTHER_ORIGIN });
    const { response, arrived } = await send('GET', { Authorization: `Bearer ${token}` });

    expect(response.status).toBe(401);
    expect(arrived).toHaveLength(0);
  });

  it('accepts the session cookie on a safe method and removes it before the origin', async () => {
    const cookie = `theme=dark; __session=${await session()}; lang=en`;
    const { response, arrived } = await send('GET', { Cookie: cookie });

    expect(response.status).toBe(200);
    expect(arrived[0]?.headers.cookie).toBe('theme=dark; lang=en');
  });

  it('accepts the session cookie on POST from an authorized origin', async () => {
    const cookie = `__session=${await session()}`;
    const { response, arrived } = await send('POST', { Cookie: cookie, Origin: APP_ORIGIN });

    expect(response.status).toBe(200);
    expect(arrived).toHaveLength(1);
  });

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    it(`rejects the session cookie on ${method} from an origin that is not authorized`, async () => {
      const cookie = `__session=${await session()}`;
      const { response, arrived } = await send(method, { Cookie: cookie, Origin: OTHER_ORIGIN });

      expect(response.status).toBe(403);
      expect(response.json()).toMatchObject({ code: 'origin_rejected' });
      // Not an allowed origin: the browser must not be invited to read the answer.
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(arrived).toHaveLength(0);
    });
  }

  it('rejects the session cookie on POST without an Origin header', async () => {
    const cookie = `__session=${await session()}`;
    const { response, arrived } = await send('POST', { Cookie: cookie });

    expect(response.status).toBe(403);
    expect(arrived).toHaveLength(0);
  });

  // A cross-site link or image is a GET, and the browser adds the cookie; an origin that honours
  // a method override then runs the unsafe method, so the check follows every method reading.
  const overrides: [string, Record<string, string>, string][] = [
    ['a _method=DELETE parameter', {}, '/orders/7?_method=DELETE'],
    ['a _method=post parameter in lower case', {}, '/orders/7?x=1&_method=post'],
    ['an X-HTTP-Method-Override header', { 'X-HTTP-Method-Override': 'PUT' }, '/orders/7'],
    ['an X-Method-Override header', { 'X-Method-Override': 'PATCH' }, '/orders/7'],
  ];
  for (const [label, headers, path] of overrides) {
    it(`rejects the session cookie on a GET naming an unsafe method through ${label}`, async () => {
      const cookie = `__session=${await session()}`;
      const origins: Record<string, string>[] = [{ Origin: OTHER_ORIGIN }, {}];
      for (const origin of origins) {
        const { response, arrived } = await send(
          'GET',
          { Cookie: cookie, ...origin, ...headers },
          path,
        );

        expect(response.status).toBe(403);
        expect(response.json()).toMatchObject({ code: 'origin_rejected' });
        expect(arrived).toHaveLength(0);
      }
    });
  }

  it('accepts the session cookie on a GET naming an unsafe method from an authorized origin', async () => {
    const cookie = `__session=${await session()}`;
    const headers = { Cookie: cookie, Origin: APP_ORIGIN };
    const { response, arrived } = await send('GET', headers, '/orders/7?_method=DELETE');

    expect(response.status).toBe(200);
    expect(arrived).toHaveLength(1);
  });

  it('accepts a bearer token on POST from any origin, since a browser never adds it by itself', async () => {
    const token = await session();
    const { response } = await send('POST', {
      Authorization: `Bearer ${token}`,
      Origin: OTHER_ORIGIN,
    });

    expect(response.status).toBe(200);
  });
});
