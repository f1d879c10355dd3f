/**
 * C19 at the HTTP level: CORS preflights pass to the origin without a credential (identity
 * headers still stripped), a plain OPTIONS still needs a token, and denials carry CORS headers
 * for allowed origins only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ORIGIN, bearer, type Scene, startScene } from './setup.ts';

let scene: Scene;
beforeAll(async () => {
  scene = await startScene();
});
afterAll(async () => {
  await scene?.close();
});

let counter = 0;
async function send(method: string, path: string, headers: Record<string, string>) {
  const id = `c19-${++counter}`;
  const response = await scene.gate.fetch(path, {
    method,
    headers: { 'x-test-id': id, ...headers },
  });
  return { response, arrived: scene.origin.withId(id) };
}

describe('C19 CORS preflight', () => {
  it('passes a preflight without a credential to the origin', async () => {
    const { response, arrived } = await send('OPTIONS', '/admin/users', {
      Origin: APP_ORIGIN,
      'Access-Control-Request-Method': 'DELETE',
      'Access-Control-Request-Headers': 'authorization',
    });

    expect(response.status).toBe(200);
    expect(arrived).toHaveLength(1);
    expect(arrived[0]?.method).toBe('OPTIONS');
    expect(arrived[0]?.headers['access-control-request-method']).toBe('DELETE');
  });

  it('strips forged identity headers from a preflight', async () => {
    const { arrived } = await send('OPTIONS', '/orders', {
      Origin: APP_ORIGIN,
      'Access-Control-Request-Method': 'POST',
      'X-Auth-Subject': 'admin',
      'X-Auth-Issuer': 'https://evil.example',
    });

    expect(arrived[0]?.headers['x-auth-subject']).toBeUndefined();
    expect(arrived[0]?.headers['x-auth-issuer']).toBeUndefined();
  });

  it('requires a token for a plain OPTIONS without Access-Control-Request-Method', async () => {
    const { response, arrived } = await send('OPTIONS', '/orders', { Origin: APP_ORIGIN });

    expect(response.status).toBe(401);
    expect(arrived).toHaveLength(0);
  });

  it('requires a token for OPTIONS with Access-Control-Request-Method but no Origin', async () => {
    const { response, arrived } = await send('OPTIONS', '/orders', {
      'Access-Control-Request-Method': 'POST',
    });

    expect(response.status).toBe(401);
    expect(arrived).toHaveLength(0);
  });
});

describe('CORS headers on denials', () => {
  it('adds Access-Control-Allow-Origin and Vary to a 401 for an allowed origin', async () => {
    const { response } = await send('GET', '/orders', { Origin: APP_ORIGIN });

    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('vary')).toContain('Origin');
    expect(response.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
  });

  it('adds CORS headers to a 403 for an allowed origin', async () => {
    const token = await scene.token({ scope: 'read' });
    const { response } = await send('POST', '/admin/x', { Origin: APP_ORIGIN, ...bearer(token) });

    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
  });

  it('adds no CORS headers to a 401 for an origin that is not allowed', async () => {
    const { response } = await send('GET', '/orders', { Origin: 'https://evil.example.test' });

    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('vary')).toContain('Origin');
  });
});
