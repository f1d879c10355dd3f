/**
 * The whole request path: route rules, public routes, CORS preflights (C19), the credential
 * rules (C18, end to end), the cookie CSRF check (C11) and requirements. `authorize` never
 * throws; every failure is a deny decision carrying an AuthError.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuthError } from '../../shared/errors.ts';
import type { AuthRequest, Decision } from '../../shared/types.ts';
import { jwks, makeKey, type TestKey } from '../fixtures/keys.ts';
import { bearer, request, setup } from './fixtures/setup.ts';
import { signRaw } from './fixtures/sign.ts';
import { NOW } from './fixtures/tokens.ts';

const ISS = 'https://clerk.example.dev';
const APP = 'https://app.example';
let key: TestKey;
beforeAll(async () => {
  key = await makeKey('ES256', 'k1');
});

const gate = (extra: object = {}) =>
  setup(
    {
      issuers: [
        { issuer: ISS, provider: 'clerk', authorizedParties: [APP], jwksUrl: `${ISS}/jwks` },
      ],
      routes: [
        { path: '/health', public: true },
        { method: 'GET', path: '/public/**', public: true },
        { methods: ['POST', 'DELETE'], path: '/admin/**', scopes: ['admin'] },
        { path: '/reports/**', claims: { role: ['analyst', 'admin'] } },
        { path: '/ws', queryParameter: 'access_token' },
      ],
      credentials: { bearer: true, cookie: '__session' },
      corsOrigins: ['https://cors.example'],
      ...extra,
    },
    { [ISS]: jwks(key) },
  );

const token = (claims: Record<string, unknown> = {}) =>
  signRaw(
    key,
    { alg: 'ES256', kid: 'k1' },
    { iss: ISS, azp: APP, sub: 'user_1', iat: NOW, exp: NOW + 600, ...claims },
  );

function denied(decision: Decision): AuthError {
  expect(decision.outcome).toBe('deny');
  if (decision.outcome !== 'deny') throw new Error('not denied');
  return decision.error;
}

describe('authorize: routes and public paths', () => {
  it('passes a public route without looking at the credential, even a broken one', async () => {
    const { authorizer, keys } = gate();
    expect((await authorizer.authorize(request('GET', '/health'))).outcome).toBe('public');
    expect(
      (await authorizer.authorize(request('POST', '/health', { authorization: 'Token x, y' })))
        .outcome,
    ).toBe('public');
    expect((await authorizer.authorize(request('GET', '/public/a/b'))).outcome).toBe('public');
    expect(keys.lookups).toBe(0);
  });

  it('requires a token where no rule matches, and on a public rule of another method', async () => {
    const { authorizer } = gate();
    expect(denied(await authorizer.authorize(request('GET', '/anything'))).code).toBe(
      'credential_missing',
    );
    expect(denied(await authorizer.authorize(request('POST', '/public/a'))).code).toBe(
      'credential_missing',
    );
  });

  it('allows a valid bearer token and returns the rule and identity', async () => {
    const { authorizer } = gate();
    const decision = await authorizer.authorize(bearer(await token(), 'GET', '/things'));
    expect(decision).toMatchObject({
      outcome: 'allow',
      rule: undefined,
      identity: { subject: 'user_1', source: 'bearer' },
    });
  });

  it('denies a missing scope with insufficient_scope, the required scopes and the identity', async () => {
    const { authorizer } = gate();
    const decision = await authorizer.authorize(
      bearer(await token({ scope: 'read' }), 'POST', '/admin/users'),
    );
    const error = denied(decision);
    expect(error.code).toBe('insufficient_scope');
    expect(error.detail.requiredScopes).toEqual(['admin']);
    expect(decision.outcome === 'deny' && decision.identity?.subject).toBe('user_1');
    expect(
      (await authorizer.authorize(bearer(await token({ scope: 'admin' }), 'POST', '/admin/users')))
        .outcome,
    ).toBe('allow');
  });

  it('denies a claim value the route does not accept', async () => {
    const { authorizer } = gate();
    expect(
      denied(
        await authorizer.authorize(bearer(await token({ role: 'guest' }), 'GET', '/reports/q1')),
      ).code,
    ).toBe('insufficient_scope');
    expect(
      (
        await authorizer.authorize(
          bearer(await token({ role: ['x', 'analyst'] }), 'GET', '/reports/q1'),
        )
      ).outcome,
    ).toBe('allow');
  });

  it('applies the admin rule to path spellings an origin would normalise', async () => {
    const { authorizer } = gate();
    const plain = await token();
    for (const path of ['//admin/users', '/%61dmin/users', '/public/../admin/users']) {
      expect(denied(await authorizer.authorize(bearer(plain, 'POST', path))).code).toBe(
        'insufficient_scope',
      );
    }
  });

  it('holds a path a lenient origin reads as /admin to the admin rule', async () => {
    const { authorizer } = gate();
    const plain = await token();
    const admin = await token({ scope: 'admin' });
    for (const path of [
      '/public/..;/admin/users',
      '/admin;jsessionid=1/users',
      '/public/..%2Fadmin/users',
      '/public/..%5cadmin/users',
      '/ADMIN/users',
    ]) {
      expect(denied(await authorizer.authorize(bearer(plain, 'POST', path))).code, path).toBe(
        'insufficient_scope',
      );
      expect((await authorizer.authorize(bearer(admin, 'POST', path))).outcome, path).toBe('allow');
    }
  });

  it.each([
    ['a trailing dot', '/admin./users'],
    ['an encoded trailing dot', '/admin%2e/users'],
    ['an encoded trailing space', '/admin%20/users'],
    ['a NUL', '/admin%00/users'],
    ['a tab', '/ad%09min/users'],
    ['an IIS %u slash', '/admin%u002fusers'],
    ['full-width letters', '/ＡＤＭＩＮ/users'],
    ['a double-encoded slash', '/public/..%252Fadmin/users'],
    ['overlong UTF-8 dots', '/public/%c0%ae%c0%ae/admin/users'],
  ])('holds a path with %s to the rule its decoded reading names', async (_, path) => {
    const { authorizer } = gate();
    expect(denied(await authorizer.authorize(bearer(await token(), 'POST', path))).code).toBe(
      'insufficient_scope',
    );
    const admin = await token({ scope: 'admin' });
    expect((await authorizer.authorize(bearer(admin, 'POST', path))).outcome).toBe('allow');
  });

  it('requires a token on a public path whose double-decoded reading leaves it', async () => {
    const { authorizer } = gate();
    for (const path of ['/public/%252e%252e/admin/x', '/public/%c0%ae%c0%ae/reports/x']) {
      expect(denied(await authorizer.authorize(request('GET', path))).code, path).toBe(
        'credential_missing',
      );
    }
  });

  it.each([
    ['X-HTTP-Method-Override', { 'x-http-method-override': 'DELETE' }, '/admin/users'],
    ['X-HTTP-Method', { 'x-http-method': 'delete' }, '/admin/users'],
    ['X-Method-Override', { 'x-method-override': 'PUT, DELETE' }, '/admin/users'],
    ['a _method parameter', {}, '/admin/users?_method=DELETE'],
  ])('holds a request overridden by %s to the rule of the method it names', async (_, h, path) => {
    const { authorizer } = gate({
      routes: [{ methods: ['DELETE'], path: '/admin/**', scopes: ['admin'] }],
    });
    const plain = await token();
    const headers = { ...h, authorization: `Bearer ${plain}` };
    expect(denied(await authorizer.authorize(request('POST', path, headers))).code).toBe(
      'insufficient_scope',
    );
    expect((await authorizer.authorize(bearer(plain, 'POST', '/admin/users'))).outcome).toBe(
      'allow',
    );
  });

  it('requires a token on a public GET route when an override names another method', async () => {
    const { authorizer } = gate();
    const req = request('GET', '/public/x', { 'x-http-method-override': 'DELETE' });
    expect(denied(await authorizer.authorize(req)).code).toBe('credential_missing');
    const junk = request('GET', '/public/x', { 'x-http-method-override': 'DE LETE;x' });
    expect((await authorizer.authorize(junk)).outcome).toBe('public');
  });

  it('passes a path as public only when every reading of it is public', async () => {
    const { authorizer } = gate();
    for (const path of ['/public/..;/admin/x', '/public/..%2Fadmin/x', '/PUBLIC/x']) {
      expect(denied(await authorizer.authorize(request('GET', path))).code, path).toBe(
        'credential_missing',
      );
    }
    expect((await authorizer.authorize(request('GET', '/public/a;v=1'))).outcome).toBe('public');
  });

  it('applies a GET rule to HEAD, which origins answer with the GET handler', async () => {
    const { authorizer } = setup(
      {
        issuers: [
          { issuer: ISS, provider: 'clerk', authorizedParties: [APP], jwksUrl: `${ISS}/j` },
        ],
        routes: [
          { method: 'GET', path: '/admin/**', scopes: ['admin'] },
          { method: 'GET', path: '/open', public: true },
        ],
      },
      { [ISS]: jwks(key) },
    );
    expect(denied(await authorizer.authorize(bearer(await token(), 'HEAD', '/admin/x'))).code).toBe(
      'insufficient_scope',
    );
    expect((await authorizer.authorize(request('HEAD', '/open'))).outcome).toBe('public');
  });

  it('reads the query credential only on the route that enables it', async () => {
    const { authorizer } = gate();
    const t = await token();
    expect((await authorizer.authorize(request('GET', `/ws?access_token=${t}`))).outcome).toBe(
      'allow',
    );
    expect(
      denied(await authorizer.authorize(request('GET', `/other?access_token=${t}`))).code,
    ).toBe('credential_missing');
  });
});

describe('authorize: Authorization header end to end (C18)', () => {
  it.each(['bearer', 'BEARER  ', 'Bearer\t'])('allows the scheme spelled %j', async (scheme) => {
    const { authorizer } = gate();
    const t = await token();
    expect(
      (await authorizer.authorize(request('GET', '/x', { authorization: `${scheme} ${t} ` })))
        .outcome,
    ).toBe('allow');
  });

  it.each([
    (t: string) => `Basic dXNlcjpw, Bearer ${t}`,
    (t: string) => `Bearer ${t}, Bearer ${t}`,
    (t: string) => `Token ${t}`,
    (t: string) => t,
  ])(
    'denies %s with credential_malformed and never falls back to a valid cookie',
    async (shape) => {
      const { authorizer } = gate();
      const t = await token();
      const req = request('GET', '/x', { authorization: shape(t), cookie: `__session=${t}` });
      const error = denied(await authorizer.authorize(req));
      expect(error.code).toBe('credential_malformed');
      expect(error.message).not.toContain(t);
    },
  );
});

describe('authorize: cookie credentials and CSRF (C11)', () => {
  const cookieReq = (t: string, method: string, headers: Record<string, string> = {}) =>
    request(method, '/things', { cookie: `__session=${t}`, ...headers });

  it('allows a cookie on safe methods from anywhere', async () => {
    const { authorizer } = gate();
    const t = await token();
    for (const method of ['GET', 'HEAD']) {
      expect(
        (await authorizer.authorize(cookieReq(t, method, { origin: 'https://evil.example' })))
          .outcome,
      ).toBe('allow');
    }
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'post'])(
    'rejects a cookie on %s from an origin that is not an authorized party',
    async (method) => {
      const { authorizer } = gate();
      const t = await token();
      expect(
        denied(await authorizer.authorize(cookieReq(t, method, { origin: 'https://evil.example' })))
          .code,
      ).toBe('origin_rejected');
    },
  );

  it.each([
    ['no Origin and no Referer', {}],
    ['Origin null', { origin: 'null' }],
    ['an Origin on another port', { origin: 'https://app.example:8443' }],
    ['an Origin over http', { origin: 'http://app.example' }],
    ['a Referer from another site', { referer: 'https://evil.example/app.example' }],
    ['an unparseable Referer', { referer: 'not a url' }],
    ['a lookalike Origin', { origin: 'https://app.example.evil.example' }],
  ])('rejects a cookie on POST with %s', async (_, headers) => {
    const { authorizer } = gate();
    expect(denied(await authorizer.authorize(cookieReq(await token(), 'POST', headers))).code).toBe(
      'origin_rejected',
    );
  });

  it.each([
    ['the authorized party as Origin', { origin: APP }],
    ['a configured CORS origin', { origin: 'https://cors.example' }],
    ['a Referer from the authorized party', { referer: `${APP}/settings?tab=1` }],
  ])('allows a cookie on POST with %s', async (_, headers) => {
    const { authorizer } = gate();
    expect((await authorizer.authorize(cookieReq(await token(), 'POST', headers))).outcome).toBe(
      'allow',
    );
  });

  it.each([
    ['a _method parameter', '/things?_method=DELETE', {}],
    ['an X-HTTP-Method-Override header', '/things', { 'x-http-method-override': 'put' }],
  ])('rejects a cookie on a GET that names an unsafe method through %s', async (_, path, extra) => {
    const { authorizer } = gate();
    const t = await token();
    const req = request('GET', path, {
      cookie: `__session=${t}`,
      origin: 'https://evil.example',
      ...extra,
    });
    expect(denied(await authorizer.authorize(req)).code).toBe('origin_rejected');
    // The Lambda's entry point applies the same check.
    await expect(authorizer.authenticate(req)).rejects.toMatchObject({ code: 'origin_rejected' });
  });

  it('allows a bearer token on POST from any origin: it is not sent by the browser on its own', async () => {
    const { authorizer } = gate();
    const req = request('POST', '/things', {
      authorization: `Bearer ${await token()}`,
      origin: 'https://evil.example',
    });
    expect((await authorizer.authorize(req)).outcome).toBe('allow');
  });

  it('treats an empty session cookie as no credential', async () => {
    const { authorizer } = gate();
    expect(
      denied(await authorizer.authorize(request('GET', '/x', { cookie: '__session=' }))).code,
    ).toBe('credential_missing');
  });
});

describe('authorize: CORS preflight (C19)', () => {
  it('passes OPTIONS with Origin and Access-Control-Request-Method without a credential', async () => {
    const { authorizer } = gate();
    const req = request('OPTIONS', '/admin/users', {
      origin: APP,
      'access-control-request-method': 'POST',
    });
    expect((await authorizer.authorize(req)).outcome).toBe('preflight');
  });

  it.each([
    ['a plain OPTIONS', {}],
    ['OPTIONS with only Origin', { origin: APP }],
    [
      'OPTIONS with only Access-Control-Request-Method',
      { 'access-control-request-method': 'POST' },
    ],
  ])('requires a token for %s', async (_, headers) => {
    const { authorizer } = gate();
    expect(denied(await authorizer.authorize(request('OPTIONS', '/x', headers))).code).toBe(
      'credential_missing',
    );
  });

  it.each([
    [
      'an Authorization header',
      { authorization: 'Bearer forged.forged.forged' },
      'token_malformed',
    ],
    ['a Cookie', { cookie: '__session=x' }, 'token_malformed'],
    ['a body', { 'content-length': '100' }, 'credential_missing'],
    ['a chunked body', { 'transfer-encoding': 'chunked' }, 'credential_missing'],
    [
      'an empty Access-Control-Request-Method',
      { 'access-control-request-method': ' ' },
      'credential_missing',
    ],
  ])('does not pass an OPTIONS carrying %s as a preflight', async (_, extra, code) => {
    const { authorizer } = gate();
    const headers = { origin: APP, 'access-control-request-method': 'POST', ...extra };
    expect(denied(await authorizer.authorize(request('OPTIONS', '/x', headers))).code).toBe(code);
  });

  it('does not treat a GET with preflight headers as a preflight', async () => {
    const { authorizer } = gate();
    const req = request('GET', '/x', { origin: APP, 'access-control-request-method': 'GET' });
    expect(denied(await authorizer.authorize(req)).code).toBe('credential_missing');
  });
});

describe('authorize never throws', () => {
  it('turns a throwing request adapter into a deny decision', async () => {
    const { authorizer } = gate();
    const broken: AuthRequest = {
      method: 'GET',
      path: '/x',
      header: () => {
        throw new TypeError('adapter bug');
      },
      query: () => null,
    };
    expect((await authorizer.authorize(broken)).outcome).toBe('deny');
  });

  it('denies key-set trouble with its own code so the adapter can answer 503', async () => {
    const { authorizer, keys } = gate();
    keys.setKeys(ISS, undefined);
    expect(denied(await authorizer.authorize(bearer(await token()))).code).toBe(
      'key_set_unavailable',
    );
  });
});

describe('authenticate', () => {
  it('throws credential_missing without a credential and returns the identity with one', async () => {
    const { authorizer } = gate();
    await expect(authorizer.authenticate(request('GET', '/x'))).rejects.toMatchObject({
      code: 'credential_missing',
    });
    await expect(authorizer.authenticate(bearer(await token()))).resolves.toMatchObject({
      subject: 'user_1',
    });
  });

  it('applies the cookie CSRF check', async () => {
    const { authorizer } = gate();
    const req = request('DELETE', '/x', {
      cookie: `__session=${await token()}`,
      origin: 'https://evil.example',
    });
    await expect(authorizer.authenticate(req)).rejects.toMatchObject({ code: 'origin_rejected' });
  });
});
