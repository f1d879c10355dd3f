/**
 * The readings of a request an origin may apply, at the HTTP level in workerd: path spellings
 * that decode, fold or trim to a guarded route, method overrides, and `OPTIONS` requests that a
 * browser would never send as a preflight. None of them reaches the origin past a rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authConfig, bearer, type Scene, startScene } from './setup.ts';

let scene: Scene;
beforeAll(async () => {
  scene = await startScene({
    auth: authConfig({
      routes: [
        { path: '/public/**', public: true },
        { path: '/admin/**', scopes: ['admin:write'] },
        { path: '/orders/**', methods: ['DELETE'], scopes: ['orders:delete'] },
      ],
    }),
  });
});
afterAll(async () => {
  await scene?.close();
});

async function send(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
) {
  const { response, arrived } = await scene.send(path, headers, method, body);
  return { response, reached: arrived().length > 0 };
}

describe('path spellings', () => {
  it.each([
    '/admin./settings',
    '/admin%2e/settings',
    '/admin%20/settings',
    '/admin%00/settings',
    '/admin%u002fsettings',
    '/admin%252Fsettings',
    '/ＡＤＭＩＮ/settings',
    '/public/%c0%ae%c0%ae/admin/settings',
  ])('refuses %s to a token without the admin scope', async (path) => {
    const { response, reached } = await send(path, bearer(await scene.token()));
    expect(response.status).toBe(403);
    expect(reached).toBe(false);
  });

  it('asks for a token on a public path whose double-decoded reading is /admin', async () => {
    const { response, reached } = await send('/public/%252e%252e/admin/settings');
    expect(response.status).toBe(401);
    expect(reached).toBe(false);
  });

  it('forwards the same spellings for a token with the scope', async () => {
    const token = await scene.token({ scope: 'admin:write' });
    const { response, reached } = await send('/admin./settings', bearer(token));
    expect(response.status).toBe(200);
    expect(reached).toBe(true);
  });
});

describe('method overrides', () => {
  it.each([
    ['X-HTTP-Method-Override', '/orders/1', { 'X-HTTP-Method-Override': 'DELETE' }],
    ['X-HTTP-Method', '/orders/1', { 'X-HTTP-Method': 'DELETE' }],
    ['_method', '/orders/1?_method=DELETE', {}],
  ])('holds a POST overridden by %s to the DELETE rule', async (_, path, headers) => {
    const plain = await scene.token();
    const { response, reached } = await send(path, { ...headers, ...bearer(plain) }, 'POST');
    expect(response.status).toBe(403);
    expect(reached).toBe(false);

    const allowed = await send(
      path,
      { ...headers, ...bearer(await scene.token({ scope: 'orders:delete' })) },
      'POST',
    );
    expect(allowed.response.status).toBe(200);
  });
});

describe('OPTIONS that is no browser preflight', () => {
  const preflight = { Origin: 'https://app.example.test', 'Access-Control-Request-Method': 'POST' };

  it('passes a real preflight to the origin', async () => {
    const { response, reached } = await send('/admin/settings', preflight, 'OPTIONS');
    expect(response.status).toBe(200);
    expect(reached).toBe(true);
  });

  it.each([
    ['a forged Authorization header', { Authorization: 'Bearer forged.forged.forged' }, undefined],
    ['a Cookie', { Cookie: 'a=b' }, undefined],
    ['a body', {}, 'x'.repeat(100)],
    ['an X-HTTP-Method-Override header', { 'X-HTTP-Method-Override': 'DELETE' }, undefined],
  ])('needs a token for a preflight carrying %s', async (_, extra, body) => {
    const headers = { ...preflight, ...extra };
    const { response, reached } = await send('/admin/settings', headers, 'OPTIONS', body);
    expect(response.status).toBe(401);
    expect(reached).toBe(false);
  });

  it('needs a token for a preflight whose query names another method in _method', async () => {
    const path = '/orders/1?_method=DELETE';
    const { response, reached } = await send(path, preflight, 'OPTIONS');
    expect(response.status).toBe(401);
    expect(reached).toBe(false);
  });
});
