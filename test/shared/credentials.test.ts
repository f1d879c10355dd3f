import { describe, expect, it } from 'vitest';
import { extractCredential, parseAuthorization, readCookie } from '../../shared/credentials.ts';
import { AuthError, type AuthErrorCode } from '../../shared/errors.ts';
import type { CredentialSettings, RouteRule } from '../../shared/types.ts';
import { request } from './fixtures/setup.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UifQ.c2lnbmF0dXJl';
const MAX = 8192;

function codeOf(fn: () => unknown): AuthErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    const authError = error as AuthError;
    expect(authError.message).not.toContain(JWT);
    return authError.code;
  }
}

const settings = (extra: Partial<CredentialSettings> = {}): CredentialSettings => ({
  bearer: true,
  cookie: '__session',
  header: undefined,
  maxTokenBytes: MAX,
  ...extra,
});

describe('parseAuthorization (C18)', () => {
  it.each([
    ['Bearer <jwt>', `Bearer ${JWT}`],
    ['bearer <jwt>', `bearer ${JWT}`],
    ['BEARER   <jwt>', `BEARER   ${JWT}`],
    ['BeArEr with a tab', `BeArEr\t${JWT}`],
    ['Bearer <jwt> with trailing space', `Bearer ${JWT} `],
    ['Bearer <jwt> with trailing tabs and spaces', `Bearer ${JWT}\t \t`],
    ['leading whitespace', `  Bearer ${JWT}`],
    ['token68 padding', 'Bearer abc+/de=='],
  ])('accepts %s', (_, value) => {
    expect(parseAuthorization(value, MAX)).toBe(value.trim().split(/[ \t]+/)[1]);
  });

  it.each([
    ['Basic then Bearer joined by Headers.get', `Basic dXNlcjpw, Bearer ${JWT}`],
    ['Bearer then Basic joined', `Bearer ${JWT}, Basic dXNlcjpw`],
    ['two Bearer credentials', `Bearer ${JWT}, Bearer ${JWT}`],
    ['two Bearer credentials without a space', `Bearer ${JWT},Bearer ${JWT}`],
    ['the Token scheme', `Token ${JWT}`],
    ['the Basic scheme', 'Basic dXNlcjpw'],
    ['a bare token', JWT],
    ['Bearer alone', 'Bearer'],
    ['Bearer and spaces', 'Bearer    '],
    ['an empty header', ''],
    ['a space inside the token', `Bearer ${JWT.slice(0, 10)} ${JWT.slice(10)}`],
    ['auth-params instead of token68', 'Bearer realm="x", token="y"'],
    ['a quoted token', `Bearer "${JWT}"`],
    ['padding in the middle', 'Bearer ab=c'],
    ['a non-ASCII character', `Bearer ${JWT}é`],
    ['a comma after the token', `Bearer ${JWT},`],
    ['a scheme-less comma list', `${JWT}, ${JWT}`],
  ])('rejects %s as credential_malformed', (_, value) => {
    expect(codeOf(() => parseAuthorization(value, MAX))).toBe('credential_malformed');
  });

  it('rejects a token over the cap as token_too_large before checking its syntax', () => {
    expect(codeOf(() => parseAuthorization(`Bearer ${'a'.repeat(MAX + 1)}`, MAX))).toBe(
      'token_too_large',
    );
    expect(codeOf(() => parseAuthorization(`Bearer ${'a'.repeat(MAX - 1)}!!`, MAX))).toBe(
      'token_too_large',
    );
    expect(parseAuthorization(`Bearer ${'a'.repeat(MAX)}`, MAX)).toHaveLength(MAX);
  });
});

describe('readCookie', () => {
  it('reads the named cookie among others, with quotes and spacing', () => {
    expect(readCookie(`a=1; __session=${JWT}; b=2`, '__session')).toBe(JWT);
    expect(readCookie(`__session="${JWT}"`, '__session')).toBe(JWT);
    expect(readCookie(`x__session=1;__session=${JWT}`, '__session')).toBe(JWT);
  });

  it('reads the cookie from Cookie fields joined with a comma', () => {
    expect(readCookie(`a=1, __session=${JWT}`, '__session')).toBe(JWT);
    expect(readCookie(`a=1; b=2, c=3;__session=${JWT}`, '__session')).toBe(JWT);
  });

  it('treats an empty cookie as absent', () => {
    expect(readCookie('__session=; a=1', '__session')).toBeUndefined();
    expect(readCookie('__session=""', '__session')).toBeUndefined();
    expect(readCookie('a=1', '__session')).toBeUndefined();
  });

  it('rejects two different values of the cookie and accepts the same value twice', () => {
    expect(codeOf(() => readCookie(`__session=${JWT}; __session=other`, '__session'))).toBe(
      'credential_malformed',
    );
    expect(readCookie(`__session=${JWT}; __session=${JWT}`, '__session')).toBe(JWT);
  });
});

describe('extractCredential', () => {
  const queryRule: RouteRule = {
    methods: ['*'],
    path: '/ws',
    require: { kind: 'token', scopes: [], scopesMatch: 'all', claims: {} },
    queryParameter: 'access_token',
  };

  it('reads the bearer token', () => {
    expect(
      extractCredential(request('GET', '/', { Authorization: `Bearer ${JWT}` }), settings()),
    ).toEqual({
      token: JWT,
      source: 'bearer',
    });
  });

  it('prefers Authorization over the cookie', () => {
    const req = request('GET', '/', { authorization: `Bearer ${JWT}`, cookie: '__session=other' });
    expect(extractCredential(req, settings())?.source).toBe('bearer');
  });

  it.each([
    `Basic dXNlcjpw, Bearer ${JWT}`,
    `Bearer ${JWT}, Bearer ${JWT}`,
    `Token ${JWT}`,
    JWT,
    '',
  ])('refuses to fall back to the cookie when Authorization is %j (C18)', (value) => {
    const req = request('GET', '/', { authorization: value, cookie: `__session=${JWT}` });
    expect(codeOf(() => extractCredential(req, settings()))).toBe('credential_malformed');
  });

  it('reads the cookie when there is no Authorization header', () => {
    const req = request('GET', '/', { cookie: `theme=dark; __session=${JWT}` });
    expect(extractCredential(req, settings())).toEqual({ token: JWT, source: 'cookie' });
  });

  it('returns nothing for an empty cookie or no credential', () => {
    expect(
      extractCredential(request('GET', '/', { cookie: '__session=' }), settings()),
    ).toBeUndefined();
    expect(extractCredential(request('GET', '/'), settings())).toBeUndefined();
  });

  it('rejects a cookie value that is not one token', () => {
    const req = request('GET', '/', { cookie: '__session=a%20b' });
    expect(codeOf(() => extractCredential(req, settings()))).toBe('credential_malformed');
  });

  it('ignores the cookie when no cookie is configured', () => {
    const req = request('GET', '/', { cookie: `__session=${JWT}` });
    expect(extractCredential(req, settings({ cookie: undefined }))).toBeUndefined();
  });

  it('ignores Authorization when bearer is off and reads the configured header', () => {
    const config = settings({
      bearer: false,
      cookie: undefined,
      header: 'Cf-Access-Jwt-Assertion',
    });
    const req = request('GET', '/', {
      authorization: 'Basic dXNlcjpw',
      'cf-access-jwt-assertion': JWT,
    });
    expect(extractCredential(req, config)).toEqual({ token: JWT, source: 'header' });
  });

  it.each(['Basic dXNlcjpw', `Bearer ${JWT}x`, 'Token abc', ''])(
    "reads the cookie beside the application's own Authorization %j when bearer is off",
    (value) => {
      const config = settings({ bearer: false, cookie: 'CF_Authorization', header: undefined });
      const req = request('POST', '/', { authorization: value, cookie: `CF_Authorization=${JWT}` });
      expect(extractCredential(req, config)).toEqual({ token: JWT, source: 'cookie' });
    },
  );

  it.each(['', '  ', `Bearer ${JWT}`, `${JWT}, ${JWT}`])(
    'rejects the configured header %j',
    (value) => {
      const config = settings({ header: 'Cf-Access-Jwt-Assertion' });
      const req = request('GET', '/', { 'Cf-Access-Jwt-Assertion': value });
      expect(codeOf(() => extractCredential(req, config))).toBe('credential_malformed');
    },
  );

  it('reads the query parameter only on a route that enables it', () => {
    const req = request('GET', `/ws?access_token=${JWT}`);
    expect(extractCredential(req, settings())).toBeUndefined();
    expect(extractCredential(req, settings(), queryRule)).toEqual({ token: JWT, source: 'query' });
  });

  it('rejects a query credential sent together with a header credential', () => {
    const req = request('GET', `/ws?access_token=${JWT}`, { authorization: `Bearer ${JWT}` });
    expect(codeOf(() => extractCredential(req, settings(), queryRule))).toBe(
      'credential_malformed',
    );
  });

  it('applies the size cap to every source before decoding', () => {
    const big = 'a'.repeat(MAX + 1);
    expect(
      codeOf(() =>
        extractCredential(request('GET', '/', { cookie: `__session=${big}` }), settings()),
      ),
    ).toBe('token_too_large');
    expect(
      codeOf(() =>
        extractCredential(request('GET', `/ws?access_token=${big}`), settings(), queryRule),
      ),
    ).toBe('token_too_large');
    const header = settings({ header: 'X-Token' });
    expect(codeOf(() => extractCredential(request('GET', '/', { 'x-token': big }), header))).toBe(
      'token_too_large',
    );
  });
});
