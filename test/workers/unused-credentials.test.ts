/**
 * Credentials the gate did not use: with `forwardAuthorization` off every source the
 * configuration reads (the `Authorization` header, the credential header, the session cookie,
 * the route's query parameter) is removed before the origin, not only the one that won; with it
 * on, only the verified one stays. A query credential given twice is malformed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authConfig, bearer, type Scene, startScene } from './setup.ts';

let scene: Scene;
/** The same configuration with `forwardAuthorization` on. */
let forwarding: Scene;
beforeAll(async () => {
  const auth = (forwardAuthorization: boolean) =>
    authConfig({
      credentials: { bearer: true, header: 'Cf-Access-Jwt-Assertion', cookie: '__session' },
      routes: [{ path: '/download/**', queryParameter: 'access_token' }],
      forwardAuthorization,
    });
  scene = await startScene({ auth: auth(false) });
  forwarding = await startScene({ auth: auth(true) });
});
afterAll(async () => {
  await scene?.close();
  await forwarding?.close();
});

let counter = 0;
async function send(
  path: string,
  headers: Record<string, string> | [string, string][],
  target: Scene = scene,
) {
  const id = `unused-${++counter}`;
  const tagged: [string, string][] = Array.isArray(headers)
    ? [['x-test-id', id], ...headers]
    : [['x-test-id', id], ...Object.entries(headers)];
  const response = await target.gate.fetch(path, { headers: tagged });
  return { response, arrived: target.origin.withId(id) };
}

/** The token of a second user, who must not reach the origin beside the first. */
const otherUser = () => scene.token({ sub: 'user-2' });

describe('unused credentials with forwardAuthorization off', () => {
  it('removes the session cookie when the Authorization header was the credential used', async () => {
    const cookie = `theme=dark; __session=${await otherUser()}; lang=en`;
    const { response, arrived } = await send('/orders', { ...bearer(await scene.token()), cookie });

    expect(response.status).toBe(200);
    expect(arrived[0]?.headers['x-auth-subject']).toBe('user-1');
    expect(arrived[0]?.headers.authorization).toBeUndefined();
    expect(arrived[0]?.headers.cookie).toBe('theme=dark; lang=en');
  });

  it('removes a session cookie from every Cookie line, also where lines were joined with commas', async () => {
    const other = await otherUser();
    const { response, arrived } = await send('/orders', [
      ['authorization', `Bearer ${await scene.token()}`],
      ['cookie', `theme=dark, __session=${other}`],
    ]);

    expect(response.status).toBe(200);
    expect(arrived[0]?.headers.cookie ?? '').not.toContain(other);
    expect(arrived[0]?.headers.cookie).toBe('theme=dark');
  });

  it('removes the credential header when the Authorization header was the credential used', async () => {
    const headers = {
      ...bearer(await scene.token()),
      'cf-access-jwt-assertion': await otherUser(),
    };
    const { response, arrived } = await send('/orders', headers);

    expect(response.status).toBe(200);
    expect(arrived[0]?.headers['cf-access-jwt-assertion']).toBeUndefined();
  });

  it('removes the session cookie when the credential header was the credential used', async () => {
    const headers = {
      'cf-access-jwt-assertion': await scene.token(),
      cookie: `__session=${await otherUser()}`,
    };
    const { response, arrived } = await send('/orders', headers);

    expect(response.status).toBe(200);
    expect(arrived[0]?.headers['x-auth-subject']).toBe('user-1');
    expect(arrived[0]?.headers['cf-access-jwt-assertion']).toBeUndefined();
    expect(arrived[0]?.headers.cookie).toBeUndefined();
  });

  it('removes an empty query credential when the Authorization header was the credential used', async () => {
    const { response, arrived } = await send('/download/a.pdf?access_token=&x=1', {
      ...bearer(await scene.token()),
    });

    expect(response.status).toBe(200);
    expect(arrived[0]?.url).toBe('/download/a.pdf?x=1');
  });

  it('rejects a query credential given twice as malformed', async () => {
    const path = `/download/a.pdf?access_token=${await scene.token()}&access_token=${await otherUser()}`;
    const { response, arrived } = await send(path, {});

    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ code: 'credential_malformed' });
    expect(arrived).toHaveLength(0);
  });

  it('rejects a second query credential hidden behind an empty first one', async () => {
    const path = `/download/a.pdf?access_token=&access_token=${await otherUser()}`;
    const { response, arrived } = await send(path, bearer(await scene.token()));

    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ code: 'credential_malformed' });
    expect(arrived).toHaveLength(0);
  });
});

describe('unverified credentials with forwardAuthorization on', () => {
  // An origin behind the gate may decode a forwarded token without verifying it; beside the
  // verified one it must not find a second, unverified token (another user's, or forged).
  it('forwards the Authorization header used and removes a session cookie it did not verify', async () => {
    const token = await forwarding.token();
    const cookie = `theme=dark; __session=${await otherUser()}`;
    const { response, arrived } = await send('/orders', { ...bearer(token), cookie }, forwarding);

    expect(response.status).toBe(200);
    expect(arrived[0]?.headers.authorization).toBe(`Bearer ${token}`);
    expect(arrived[0]?.headers.cookie).toBe('theme=dark');
  });

  it('forwards the session cookie used and removes a credential header it did not read', async () => {
    const token = await forwarding.token();
    const headers = { cookie: `__session=${token}` };
    const { response, arrived } = await send('/orders', headers, forwarding);

    expect(response.status).toBe(200);
    expect(arrived[0]?.headers.cookie).toBe(`__session=${token}`);
  });

  it('forwards the credential header used and removes the session cookie', async () => {
    const token = await forwarding.token();
    const headers = { 'cf-access-jwt-assertion': token, cookie: `__session=${await otherUser()}` };
    const { response, arrived } = await send('/orders', headers, forwarding);

    expect(response.status).toBe(200);
    expect(arrived[0]?.headers['cf-access-jwt-assertion']).toBe(token);
    expect(arrived[0]?.headers.cookie).toBeUndefined();
  });

  it('forwards a query credential used, and removes an empty one beside the header used', async () => {
    const token = await forwarding.token();
    const used = await send(`/download/a.pdf?access_token=${token}&x=1`, {}, forwarding);
    expect(used.response.status).toBe(200);
    expect(used.arrived[0]?.url).toBe(`/download/a.pdf?access_token=${token}&x=1`);

    const beside = await send('/download/a.pdf?access_token=&x=1', bearer(token), forwarding);
    expect(beside.response.status).toBe(200);
    expect(beside.arrived[0]?.url).toBe('/download/a.pdf?x=1');
  });
});
