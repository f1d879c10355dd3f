/**
 * The gate's answers and forwarding, in workerd against the bundled Worker: statuses, RFC 6750
 * challenges, identity headers set and client-sent ones stripped, and one log line per decision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mint } from '../fixtures/keys.ts';
import { AUDIENCE, bearer, ISSUER, type Scene, startScene } from './setup.ts';

let scene: Scene;
beforeAll(async () => {
  scene = await startScene();
});
afterAll(async () => {
  await scene?.close();
});

const send = (path: string, headers: Record<string, string> = {}, method = 'GET', body?: string) =>
  scene.send(path, headers, method, body);

describe('allowed requests', () => {
  it('forwards a request with a valid token, keeping path and query, with identity headers', async () => {
    const token = await scene.token({ email: 'ada@example.test' });
    const { response, arrived } = await send('/orders/7?expand=items&x=%20y', bearer(token));

    expect(response.status).toBe(200);
    expect(response.headers.get('x-origin')).toBe('echo');
    const [seen] = arrived();
    expect(seen?.url).toBe('/orders/7?expand=items&x=%20y');
    expect(seen?.headers['x-auth-subject']).toBe('user-1');
    expect(seen?.headers['x-auth-issuer']).toBe(ISSUER);
    expect(seen?.headers['x-auth-email']).toBe('ada@example.test');
  });

  it('removes the Authorization header before the origin when forwardAuthorization is off', async () => {
    const token = await scene.token();
    const { response, arrived } = await send('/orders', bearer(token));

    expect(response.status).toBe(200);
    expect(arrived()[0]?.headers.authorization).toBeUndefined();
  });

  it('replaces identity headers a client sent with the verified ones', async () => {
    const token = await scene.token({ email: 'ada@example.test' });
    const forged = {
      'X-Auth-Subject': 'admin',
      'x-auth-issuer': 'https://evil.example',
      'X-AUTH-EMAIL': 'root@example.test',
      'X-Auth-Roles': '["admin"]',
    };
    const { arrived } = await send('/orders', { ...forged, ...bearer(token) });

    const headers = arrived()[0]?.headers ?? {};
    expect(headers['x-auth-subject']).toBe('user-1');
    expect(headers['x-auth-issuer']).toBe(ISSUER);
    expect(headers['x-auth-email']).toBe('ada@example.test');
    // The token has no `roles` claim: the client's value must not survive either.
    expect(headers['x-auth-roles']).toBeUndefined();
  });

  it('removes underscore spellings of identity headers, which CGI-style origins read as the same', async () => {
    const token = await scene.token();
    const forged = { X_Auth_Subject: 'admin', 'x-auth_roles': '["admin"]', X_AUTH_ISSUER: 'evil' };
    const { response, arrived } = await send('/orders', { ...forged, ...bearer(token) });

    expect(response.status).toBe(200);
    const headers = arrived()[0]?.headers ?? {};
    expect(headers['x-auth-subject']).toBe('user-1');
    expect(headers.x_auth_subject).toBeUndefined();
    expect(headers['x-auth_roles']).toBeUndefined();
    expect(headers.x_auth_issuer).toBeUndefined();
  });

  it('sends non-string claims as JSON and never lets a claim inject a header line', async () => {
    const token = await scene.token({
      roles: ['admin', 'ops'],
      name: 'Zoë\r\nX-Injected: yes',
      note: 'x'.repeat(5000),
    });
    const { response, arrived } = await send('/orders', bearer(token));

    expect(response.status).toBe(200);
    const headers = arrived()[0]?.headers ?? {};
    expect(headers['x-auth-roles']).toBe('["admin","ops"]');
    expect(headers['x-auth-name']).toBe('"Zo\\u00eb\\r\\nX-Injected: yes"');
    expect(headers['x-injected']).toBeUndefined();
    // Too long to forward whole: left out rather than cut, and the log line says so.
    expect(headers['x-auth-note']).toBeUndefined();
    const [line] = await scene.gate.output.waitFor((l) => Array.isArray(l.omittedClaims));
    expect(line?.omittedClaims).toEqual(['note']);
  });

  it('gives different header values to a claim and the printable text of its JSON encoding', async () => {
    const pairs: [unknown, unknown][] = [
      ['a\nb', '"a\\nb"'],
      ['héllo', '"h\\u00e9llo"'],
      [' admin ', '" admin "'],
      [['admin'], '["admin"]'],
      [{ a: 1 }, '{"a":1}'],
      ['', '""'],
    ];
    const subjectOf = async (sub: unknown) => {
      const { response, arrived } = await send('/orders', bearer(await scene.token({ sub })));
      expect(response.status).toBe(200);
      return arrived()[0]?.headers['x-auth-subject'];
    };
    const rolesOf = async (roles: unknown) => {
      const { response, arrived } = await send('/orders', bearer(await scene.token({ roles })));
      expect(response.status).toBe(200);
      return arrived()[0]?.headers['x-auth-roles'];
    };

    for (const [claim, lookalike] of pairs) {
      const [a, b] = [await rolesOf(claim), await rolesOf(lookalike)];
      expect(a).toBeDefined();
      expect(b).toBeDefined();
      expect(a).not.toBe(b);
    }
    expect(await subjectOf('a\nb')).not.toBe(await subjectOf('"a\\nb"'));
    // A lookalike is itself a string that would not pass verbatim: it arrives JSON-encoded.
    expect(await subjectOf('"a\\nb"')).toBe('"\\"a\\\\nb\\""');
    expect(await rolesOf('["admin"]')).toBe('"[\\"admin\\"]"');
    expect(await subjectOf('user 1')).toBe('user 1');
  });

  it('streams a request body to the origin unchanged', async () => {
    const token = await scene.token();
    const { response, arrived } = await send('/orders', bearer(token), 'POST', '{"qty":3}');

    expect(response.status).toBe(200);
    expect(arrived()[0]?.method).toBe('POST');
    expect(arrived()[0]?.body).toBe('{"qty":3}');
  });
});

describe('public routes', () => {
  it('passes a public route without a token and strips forged identity headers', async () => {
    const { response, arrived } = await send('/public/logo.svg', {
      'X-Auth-Subject': 'admin',
      'X-Auth-Email': 'root@example.test',
    });

    expect(response.status).toBe(200);
    const headers = arrived()[0]?.headers ?? {};
    expect(headers['x-auth-subject']).toBeUndefined();
    expect(headers['x-auth-email']).toBeUndefined();
  });

  it('passes a public route with an invalid token untouched', async () => {
    const { response, arrived } = await send('/health', { Authorization: 'Bearer not-a-jwt' });

    expect(response.status).toBe(200);
    expect(arrived()).toHaveLength(1);
  });
});

describe('denials', () => {
  it('answers 401 with a bare realm challenge when no credential is sent', async () => {
    const { response, arrived } = await send('/orders');

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gate-test"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.json()).toEqual({ error: 'unauthorized', code: 'credential_missing' });
    expect(arrived()).toHaveLength(0);
  });

  it('answers 401 invalid_token with a fixed description for an expired token', async () => {
    const past = Date.now() - 7200_000;
    const token = await mint(scene.key, { iss: ISSUER, aud: AUDIENCE, sub: 'u' }, { nowMs: past });
    const { response, arrived } = await send('/orders', bearer(token));

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="gate-test", error="invalid_token", error_description="The token has expired"',
    );
    expect(response.json()).toEqual({ error: 'invalid_token', code: 'token_expired' });
    expect(response.body).not.toContain(token.split('.')[1]);
    expect(arrived()).toHaveLength(0);
  });

  it('answers 401 invalid_token for a token signed by a key that is not in the set', async () => {
    const { makeKey } = await import('../fixtures/keys.ts');
    const stranger = await makeKey('RS256', 'k1');
    const token = await mint(stranger, { iss: ISSUER, aud: AUDIENCE, sub: 'u' });
    const { response, arrived } = await send('/orders', bearer(token));

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(arrived()).toHaveLength(0);
  });

  it('answers 403 insufficient_scope naming the scope when the route needs one', async () => {
    const token = await scene.token({ scope: 'read:orders' });
    const { response, arrived } = await send('/admin/users', bearer(token), 'DELETE');

    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="gate-test", error="insufficient_scope", ' +
        'error_description="The token lacks the required scope", scope="admin:write"',
    );
    expect(response.json()).toEqual({ error: 'insufficient_scope', code: 'insufficient_scope' });
    expect(arrived()).toHaveLength(0);
  });

  it('forwards to a scoped route when the token carries the scope', async () => {
    const token = await scene.token({ scope: 'read:orders admin:write' });
    const { response, arrived } = await send('/admin/users', bearer(token));

    expect(response.status).toBe(200);
    expect(arrived()).toHaveLength(1);
  });

  it('answers 400 invalid_request for an Authorization header of another scheme', async () => {
    const { response, arrived } = await send('/orders', { Authorization: 'Basic dXNlcjpwYXNz' });

    expect([400, 401]).toContain(response.status);
    if (response.status === 400) {
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
    }
    expect(arrived()).toHaveLength(0);
  });
});

describe('log lines', () => {
  it('writes one decision line per request with code, route, path and no query string', async () => {
    const token = await scene.token();
    await send('/admin/x?access_token=secret-in-query', bearer(token));

    const [line] = await scene.gate.output.waitFor(
      (l) => l.event === 'decision' && l.path === '/admin/x',
    );
    expect(line).toMatchObject({
      outcome: 'deny',
      code: 'insufficient_scope',
      status: 403,
      issuer: ISSUER,
      kid: 'k1',
      method: 'GET',
      route: '/admin/**',
    });
    expect(typeof line?.durationMs).toBe('number');
    expect(scene.gate.output.text()).not.toContain('secret-in-query');
  });

  it('never writes a token, an Authorization header or a cookie to the log', async () => {
    const token = await scene.token();
    const expired = await mint(
      scene.key,
      { iss: ISSUER, aud: AUDIENCE, sub: 'u' },
      { nowMs: Date.now() - 7200_000 },
    );
    await send('/orders', bearer(token));
    await send('/orders', bearer(expired));
    await send('/orders', { Authorization: 'Bearer garbage.garbage.garbage' });
    await send('/orders', { Cookie: 'session=cookie-value-123' });
    await scene.gate.output.waitFor((l) => l.event === 'decision', 4);

    const text = scene.gate.output.text();
    for (const secret of [token, expired, 'garbage.garbage', 'cookie-value-123']) {
      expect(text).not.toContain(secret);
    }
    for (const part of [...token.split('.'), ...expired.split('.')]) {
      expect(text).not.toContain(part);
    }
  });
});

describe('isolate state', () => {
  it('keeps the key set in module scope: one provider fetch for every request of this file', async () => {
    const token = await scene.token({ jti: 'last' });
    await send('/orders', bearer(token));

    const [line] = await scene.gate.output.waitFor(
      (l) => l.event === 'decision' && l.outcome === 'allow' && l.cache === 'hit',
    );
    expect(line?.cache).toBe('hit');
    expect(scene.provider.count('/jwks.json')).toBe(1);
    expect(scene.gate.output.events('decision').length).toBeGreaterThan(10);
  });
});
