import { describe, expect, it } from 'vitest';
import { AuthError } from '../../shared/errors.ts';
import {
  checkRequirement,
  lenientSegments,
  matchRoute,
  matchRoutes,
  methodReadings,
  pathSegments,
  scopesOf,
} from '../../shared/routes.ts';
import type { Identity, Requirement } from '../../shared/types.ts';
import { config, request } from './fixtures/setup.ts';

const rules = config({
  issuers: [{ issuer: 'https://issuer.example/', audiences: 'a' }],
  routes: [
    { path: '/health', public: true },
    { method: 'GET', path: '/public/**', public: true },
    { methods: ['POST', 'DELETE'], path: '/admin/**', scopes: ['admin'] },
    { path: '/users/*/profile', scopes: ['profile'] },
    { path: '/ws', queryParameter: 'access_token' },
  ],
}).routes;

const pathOf = (method: string, path: string) => matchRoute(rules, method, path)?.path;

describe('matchRoute', () => {
  it.each([
    ['GET', '/health', '/health'],
    ['POST', '/health', '/health'],
    ['GET', '/health/', '/health'],
    ['GET', '/public', '/public/**'],
    ['GET', '/public/', '/public/**'],
    ['GET', '/public/a/b/c', '/public/**'],
    ['get', '/public/a', '/public/**'],
    ['POST', '/admin/x', '/admin/**'],
    ['DELETE', '/admin', '/admin/**'],
    ['GET', '/users/42/profile', '/users/*/profile'],
    ['GET', '/ws', '/ws'],
  ])('matches %s %s to the rule %s', (method, path, expected) => {
    expect(pathOf(method, path)).toBe(expected);
  });

  it.each([
    ['POST', '/public/a'],
    ['GET', '/admin/x'],
    ['GET', '/users/profile'],
    ['GET', '/users/1/2/profile'],
    ['GET', '/healthz'],
    ['GET', '/publicity'],
    ['GET', '/'],
  ])('finds no rule for %s %s (a valid token is then required)', (method, path) => {
    expect(pathOf(method, path)).toBeUndefined();
  });

  it('takes the first matching rule', () => {
    const ordered = config({
      issuers: [{ issuer: 'https://issuer.example/', audiences: 'a' }],
      routes: [
        { path: '/a/**', scopes: ['first'] },
        { path: '/a/b', public: true },
      ],
    }).routes;
    expect(matchRoute(ordered, 'GET', '/a/b')?.require).toMatchObject({ scopes: ['first'] });
  });

  it.each([
    '//admin/x',
    '/admin//x',
    '/%61dmin/x',
    '/%41dmin/x'.replace('%41', '%61'),
    '/public/../admin/x',
    '/public/%2e%2e/admin/x',
    '/./admin/x',
    '/public/x/../../admin',
  ])('normalises %s onto the /admin/** rule as an origin would', (path) => {
    expect(pathOf('POST', path)).toBe('/admin/**');
  });

  it('keeps an encoded slash inside its segment', () => {
    expect(pathSegments('/a%2Fb/c')).toEqual(['a%2Fb', 'c']);
    expect(pathOf('GET', '/users/a%2Fb/profile')).toBe('/users/*/profile');
  });

  it('matches a GET rule for HEAD too, and no other method', () => {
    expect(pathOf('HEAD', '/public/a')).toBe('/public/**');
    expect(pathOf('OPTIONS', '/public/a')).toBeUndefined();
  });

  it('ignores a query string or fragment left in the path', () => {
    expect(pathOf('GET', '/health?x=/admin')).toBe('/health');
  });
});

const identity = (payload: Record<string, unknown>): Identity => ({
  issuer: config({ issuers: [{ issuer: 'https://issuer.example/', audiences: 'a' }] }).issuers[0]!,
  iss: 'https://issuer.example/',
  subject: 'u',
  payload,
  header: { alg: 'RS256' },
  kid: undefined,
  scopes: scopesOf(payload),
  source: 'bearer',
  cache: 'hit',
});

const need = (extra: Partial<Extract<Requirement, { kind: 'token' }>>): Requirement => ({
  kind: 'token',
  scopes: [],
  scopesMatch: 'all',
  claims: {},
  ...extra,
});

function denial(requirement: Requirement, payload: Record<string, unknown>): AuthError | undefined {
  try {
    checkRequirement(requirement, identity(payload));
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
}

describe('scopesOf', () => {
  it('reads scope as a space-separated string and scp as a string or an array', () => {
    expect(scopesOf({ scope: 'read  write' })).toEqual(['read', 'write']);
    expect(scopesOf({ scp: 'read write' })).toEqual(['read', 'write']);
    expect(scopesOf({ scp: ['read', 'write', 3] })).toEqual(['read', 'write']);
    expect(scopesOf({ scope: 'a', scp: ['b'] })).toEqual(['a', 'b']);
    expect(scopesOf({ scope: 42 })).toEqual([]);
  });

  it('keeps each scope once, in first-seen order, for short and long claims', () => {
    expect(scopesOf({ scope: 'b a b', scp: ['a', 'c b'] })).toEqual(['b', 'a', 'c']);
    const many = Array.from({ length: 40 }, (_, i) => `s${i % 25}`);
    const expected = Array.from({ length: 25 }, (_, i) => `s${i}`);
    expect(scopesOf({ scope: ` ${many.join(' ')} `, scp: many })).toEqual(expected);
    expect(scopesOf({ scp: ['x', many.join(' ')] })).toEqual(['x', ...expected]);
  });
});

describe('checkRequirement', () => {
  it('passes public requirements and plain token requirements', () => {
    expect(denial({ kind: 'public' }, {})).toBeUndefined();
    expect(denial(need({}), {})).toBeUndefined();
  });

  it('requires all scopes by default and names them in the error', () => {
    expect(
      denial(need({ scopes: ['read', 'write'] }), { scope: 'read write extra' }),
    ).toBeUndefined();
    const error = denial(need({ scopes: ['read', 'write'] }), { scope: 'read' });
    expect(error?.code).toBe('insufficient_scope');
    expect(error?.detail.requiredScopes).toEqual(['read', 'write']);
  });

  it('accepts any one scope with scopesMatch any', () => {
    expect(
      denial(need({ scopes: ['a', 'b'], scopesMatch: 'any' }), { scp: ['b'] }),
    ).toBeUndefined();
    expect(denial(need({ scopes: ['a', 'b'], scopesMatch: 'any' }), { scp: ['c'] })?.code).toBe(
      'insufficient_scope',
    );
  });

  it('does not treat a scope prefix or substring as the scope', () => {
    expect(denial(need({ scopes: ['admin'] }), { scope: 'administrator admin:read' })?.code).toBe(
      'insufficient_scope',
    );
  });

  it('checks claim values, array members and dotted paths', () => {
    expect(denial(need({ claims: { role: ['admin'] } }), { role: 'admin' })).toBeUndefined();
    expect(
      denial(need({ claims: { role: ['admin'] } }), { role: ['user', 'admin'] }),
    ).toBeUndefined();
    expect(
      denial(need({ claims: { 'realm_access.roles': ['ops'] } }), {
        realm_access: { roles: ['ops'] },
      }),
    ).toBeUndefined();
    expect(
      denial(need({ claims: { email_verified: [true] } }), { email_verified: true }),
    ).toBeUndefined();
    const error = denial(need({ claims: { role: ['admin'] } }), { role: 'user' });
    expect(error?.code).toBe('insufficient_scope');
    expect(error?.detail.claim).toBe('role');
    expect(denial(need({ claims: { role: ['admin'] } }), {})?.code).toBe('insufficient_scope');
    expect(
      denial(need({ claims: { email_verified: [true] } }), { email_verified: 'true' })?.code,
    ).toBe('insufficient_scope');
  });
});

describe('methodReadings', () => {
  it('lists the request method, then each method an override names, once', () => {
    const req = request('post', '/x?_method=put', {
      'x-http-method-override': 'DELETE, post',
      'x-http-method': 'PATCH',
      'x-method-override': 'GET;x',
    });
    expect(methodReadings(req)).toEqual(['POST', 'DELETE', 'PATCH', 'PUT']);
    expect(methodReadings(request('GET', '/x'))).toEqual(['GET']);
  });
});

describe('matchRoutes: every reading of a path', () => {
  const readings = (method: string, path: string) =>
    matchRoutes(rules, method, path).map((r) => r?.path);

  it.each([
    ['/public/..;/admin/x', [undefined, '/admin/**']],
    ['/admin;jsessionid=1/x', [undefined, '/admin/**']],
    ['/public/..%2Fadmin/x', [undefined, '/admin/**']],
    ['/public/..%5Cadmin/x', [undefined, '/admin/**']],
    ['/public\\..\\admin/x', [undefined, '/admin/**']],
    ['/ADMIN/x', [undefined, '/admin/**']],
  ])('reads %s also as a lenient origin would', (path, expected) => {
    expect(readings('POST', path)).toEqual(expected);
  });

  it('gives one rule when both readings agree', () => {
    expect(readings('POST', '/admin/x')).toEqual(['/admin/**']);
    expect(readings('GET', '/users/42/profile')).toEqual(['/users/*/profile']);
    expect(readings('GET', '/users/a%2Fb/profile')).toEqual(['/users/*/profile', undefined]);
    expect(readings('GET', '/nothing')).toEqual([undefined]);
  });

  it.each([
    ['/admin./x', ['admin', 'x']],
    ['/admin%2E%20/x', ['admin', 'x']],
    ['/admin%00/x', ['admin']],
    ['/ad%09min/x', ['admin', 'x']],
    ['/admin%u002Fx', ['admin', 'x']],
    ['/ＡＤＭＩＮ/x', ['admin', 'x']],
    ['/a/%252e%252e/admin', ['admin']],
    ['/a/%25252e%25252e/admin', ['admin']],
    ['/a/%c0%ae%c0%ae/admin', ['admin']],
    ['/a/%e0%80%ae%e0%80%ae%c0%afadmin', ['admin']],
  ])('reads %s leniently as %j', (path, expected) => {
    expect(lenientSegments(path)).toEqual(expected);
  });

  it('keeps a path without odd spellings as its literal reading in lower case', () => {
    expect(lenientSegments('/V1.2/Files/a%20b/')).toEqual(['v1.2', 'files', 'a b']);
    expect(lenientSegments('/x/%ff%zz/%')).toEqual(['x', '\u00ff%zz', '%']);
    expect(lenientSegments('/a/.../b')).toEqual(['a', 'b']);
  });

  it('cuts path parameters before resolving dot segments', () => {
    expect(lenientSegments('/a/..;x=1/B;y/c%2Fd')).toEqual(['b', 'c', 'd']);
  });
});
