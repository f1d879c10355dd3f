/**
 * Provider profiles: CASES.md C08 (Entra multi-tenant), C09 (Entra Graph tokens), C10 (Cognito
 * access and ID tokens), the `azp` half of C11 (Clerk), and Auth0's exact trailing slash.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { jwks, makeKey, type TestKey } from '../fixtures/keys.ts';
import { setup } from './fixtures/setup.ts';
import { signRaw } from './fixtures/sign.ts';
import { failure, NOW } from './fixtures/tokens.ts';

let key: TestKey;
beforeAll(async () => {
  // Entra publishes keys without `alg` (C12); the profiles must work with them.
  key = await makeKey('RS256', 'entra-1', { publishAlg: false });
});

const times = { iat: NOW - 60, nbf: NOW - 60, exp: NOW + 3600 };
const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
  signRaw(
    key,
    { alg: 'RS256', kid: key.kid, typ: 'JWT', ...header },
    { sub: 's', ...times, ...claims },
  );

describe('C08 Entra multi-tenant issuer bound to the token tid', () => {
  const TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0';
  const T1 = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const T2 = '9188040d-6c67-4c5b-b112-36a304b66dad';
  const issOf = (tid: string) => `https://login.microsoftonline.com/${tid}/v2.0`;
  const entra = (tenants: string[] | '*') =>
    setup(
      {
        issuers: [
          {
            issuer: TEMPLATE,
            provider: 'entra',
            audiences: 'api://app',
            tenants,
            jwksUrl: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
          },
        ],
      },
      { [TEMPLATE]: jwks(key) },
    ).authorizer;

  it('accepts a token whose iss is the template with its own listed tid', async () => {
    const token = await sign({ iss: issOf(T1), tid: T1, aud: 'api://app' });
    await expect(entra([T1]).verifyToken(token)).resolves.toMatchObject({ iss: issOf(T1) });
  });

  it.each([
    ['tid differs from the GUID in iss', { iss: issOf(T1), tid: T2 }, 'issuer_unknown'],
    ['iss literally contains {tenantid}', { iss: TEMPLATE, tid: T1 }, 'issuer_unknown'],
    ['tid is missing', { iss: issOf(T1) }, 'issuer_unknown'],
    ['tid is not a GUID', { iss: issOf('contoso'), tid: 'contoso' }, 'issuer_unknown'],
    ['tid smuggles a path', { iss: issOf(`${T1}/v2.0/x`), tid: `${T1}/v2.0/x` }, 'issuer_unknown'],
    ['tid is a number', { iss: issOf(T1), tid: 1 }, 'issuer_unknown'],
    [
      'iss is the v1 issuer of the tenant',
      { iss: `https://sts.windows.net/${T1}/`, tid: T1 },
      'issuer_unknown',
    ],
    ['iss has a trailing slash', { iss: `${issOf(T1)}/`, tid: T1 }, 'issuer_unknown'],
    ['the tenant is not on the list', { iss: issOf(T2), tid: T2 }, 'profile_check_failed'],
  ])('rejects a token when %s', async (_, claims, code) => {
    const token = await sign({ aud: 'api://app', ...claims });
    expect(await failure(entra([T1]).verifyToken(token), token)).toBe(code);
  });

  it('accepts any tenant only when "*" was configured', async () => {
    const token = await sign({ iss: issOf(T2), tid: T2, aud: 'api://app' });
    await expect(entra('*').verifyToken(token)).resolves.toBeDefined();
    expect(await failure(entra([T1]).verifyToken(token))).toBe('profile_check_failed');
  });

  it('binds the v1 issuer template (sts.windows.net) to tid the same way', async () => {
    const v1 = 'https://sts.windows.net/{tenantid}/';
    const { authorizer } = setup(
      {
        issuers: [
          {
            issuer: v1,
            provider: 'entra',
            audiences: 'api://app',
            tenants: [T1],
            jwksUrl: 'https://k.example/',
          },
        ],
      },
      { [v1]: jwks(key) },
    );
    const iss = `https://sts.windows.net/${T1}/`;
    await expect(
      authorizer.verifyToken(await sign({ iss, tid: T1, aud: 'api://app' })),
    ).resolves.toBeDefined();
    expect(
      await failure(authorizer.verifyToken(await sign({ iss, tid: T2, aud: 'api://app' }))),
    ).toBe('issuer_unknown');
  });

  it('checks the tenant list of a single-tenant Entra issuer too', async () => {
    const iss = issOf(T1);
    const { authorizer } = setup(
      {
        issuers: [
          {
            issuer: iss,
            provider: 'entra',
            audiences: 'api://app',
            tenants: [T1],
            jwksUrl: 'https://k.example/',
          },
        ],
      },
      { [iss]: jwks(key) },
    );
    await expect(
      authorizer.verifyToken(await sign({ iss, tid: T1, aud: 'api://app' })),
    ).resolves.toBeDefined();
    expect(
      await failure(authorizer.verifyToken(await sign({ iss, tid: T2, aud: 'api://app' }))),
    ).toBe('profile_check_failed');
  });
});

describe('C09 Entra Graph tokens fail without any nonce workaround', () => {
  const iss = 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0';
  const graph = () =>
    setup(
      {
        issuers: [
          { issuer: iss, provider: 'entra', audiences: 'api://app', jwksUrl: 'https://k.example/' },
        ],
      },
      { [iss]: jwks(key) },
    ).authorizer;
  const claims = {
    iss,
    aud: '00000003-0000-0000-c000-000000000000',
    tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  };

  it('rejects a Graph token whose signature covers a hashed nonce, not the one sent', async () => {
    const signed = await sign(claims, { nonce: 'hashed-nonce-value' });
    const [, payload, signature] = signed.split('.');
    const sentHeader = Buffer.from(
      JSON.stringify({ alg: 'RS256', kid: key.kid, typ: 'JWT', nonce: 'raw-nonce' }),
    ).toString('base64url');
    const token = `${sentHeader}.${payload}.${signature}`;
    expect(await failure(graph().verifyToken(token), token)).toBe('token_signature_invalid');
  });

  it('rejects a correctly signed token whose audience is Microsoft Graph', async () => {
    expect(await failure(graph().verifyToken(await sign(claims, { nonce: 'n' })))).toBe(
      'audience_invalid',
    );
  });
});

describe('C10 Cognito access and ID tokens', () => {
  const iss = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BGU9CKFCM';
  const cognito = (settings: Record<string, unknown>) =>
    setup({ issuers: [{ issuer: iss, provider: 'cognito', ...settings }] }, { [iss]: jwks(key) })
      .authorizer;
  const access = () => cognito({ tokenUse: 'access', clientIds: ['C1'] });

  it('accepts an access token for app client C1, which has no aud', async () => {
    await expect(
      access().verifyToken(await sign({ iss, token_use: 'access', client_id: 'C1', scope: 'a b' })),
    ).resolves.toMatchObject({
      scopes: ['a', 'b'],
    });
  });

  it.each([
    ['client_id C2', { token_use: 'access', client_id: 'C2' }],
    ['an ID token with aud C1', { token_use: 'id', aud: 'C1' }],
    ['no token_use', { client_id: 'C1' }],
    ['token_use in another case', { token_use: 'Access', client_id: 'C1' }],
    ['client_id as an array', { token_use: 'access', client_id: ['C1'] }],
    ['no client_id', { token_use: 'access', aud: 'C1' }],
  ])('rejects an access-profile token with %s', async (_, claims) => {
    expect(await failure(access().verifyToken(await sign({ iss, ...claims })))).toBe(
      'profile_check_failed',
    );
  });

  it('accepts ID tokens by aud under the ID profile and rejects access tokens there', async () => {
    const id = cognito({ tokenUse: 'id', audiences: ['C1'] });
    await expect(
      id.verifyToken(await sign({ iss, token_use: 'id', aud: 'C1' })),
    ).resolves.toBeDefined();
    expect(await failure(id.verifyToken(await sign({ iss, token_use: 'id', aud: 'C2' })))).toBe(
      'audience_invalid',
    );
    expect(
      await failure(
        id.verifyToken(await sign({ iss, token_use: 'access', client_id: 'C1', aud: 'C1' })),
      ),
    ).toBe('profile_check_failed');
  });
});

describe('C11 Clerk azp against authorized parties', () => {
  const iss = 'https://clerk.example.dev';
  const clerk = () =>
    setup(
      {
        issuers: [
          {
            issuer: iss,
            provider: 'clerk',
            authorizedParties: ['https://app.example'],
            jwksUrl: 'https://clerk.example.dev/.well-known/jwks.json',
          },
        ],
      },
      { [iss]: jwks(key) },
    ).authorizer;

  it('accepts a listed azp', async () => {
    await expect(
      clerk().verifyToken(await sign({ iss, azp: 'https://app.example', sid: 'sess_1' })),
    ).resolves.toBeDefined();
  });

  it.each([
    ['missing', {}],
    ['not listed', { azp: 'https://evil.example' }],
    ['a listed prefix', { azp: 'https://app.example.evil.example' }],
    ['with a trailing slash', { azp: 'https://app.example/' }],
    ['an array', { azp: ['https://app.example'] }],
  ])('rejects an azp that is %s', async (_, claims) => {
    expect(await failure(clerk().verifyToken(await sign({ iss, ...claims })))).toBe(
      'profile_check_failed',
    );
  });
});

describe('Auth0 issuer with its trailing slash', () => {
  it('compares the issuer exactly, so a token without the slash is unknown', async () => {
    const iss = 'https://tenant.auth0.com/';
    const { authorizer } = setup(
      { issuers: [{ issuer: iss, provider: 'auth0', audiences: 'https://api' }] },
      { [iss]: jwks(key) },
    );
    await expect(
      authorizer.verifyToken(await sign({ iss, aud: 'https://api' })),
    ).resolves.toBeDefined();
    expect(
      await failure(
        authorizer.verifyToken(await sign({ iss: 'https://tenant.auth0.com', aud: 'https://api' })),
      ),
    ).toBe('issuer_unknown');
  });
});

describe('Google ID tokens in either issuer spelling', () => {
  const HTTPS = 'https://accounts.google.com';
  const BARE = 'accounts.google.com';
  const CLIENT = '1234567890-abc.apps.googleusercontent.com';
  const google = (issuer: string, provider = 'google') =>
    setup(
      {
        issuers: [
          {
            issuer,
            provider,
            audiences: CLIENT,
            jwksUrl: 'https://www.googleapis.com/oauth2/v3/certs',
          },
        ],
      },
      { [issuer]: jwks(key) },
    ).authorizer;
  const idToken = (iss: string) =>
    sign({ iss, aud: CLIENT, azp: CLIENT, email: 'a@example.com', email_verified: true });

  it.each([
    [HTTPS, HTTPS],
    [HTTPS, BARE],
    [BARE, BARE],
    [BARE, HTTPS],
  ])('accepts, with the issuer configured as %s, a token whose iss is %s', async (issuer, iss) => {
    await expect(google(issuer).verifyToken(await idToken(iss))).resolves.toMatchObject({
      iss,
      issuer: { issuer },
    });
  });

  it.each([
    'http://accounts.google.com',
    'https://accounts.google.com/',
    'accounts.google.com/',
    'ACCOUNTS.GOOGLE.COM',
    'https://Accounts.google.com',
    'https://accounts.google.com.evil.example',
  ])('refuses any other spelling of the issuer: %s', async (iss) => {
    expect(await failure(google(HTTPS).verifyToken(await idToken(iss)))).toBe('issuer_unknown');
  });

  it('keeps the second spelling to the google profile: a generic issuer is compared exactly', async () => {
    expect(await failure(google(HTTPS, 'generic').verifyToken(await idToken(BARE)))).toBe(
      'issuer_unknown',
    );
  });

  it('never lets a spelling shadow an issuer configured on its own', async () => {
    const { authorizer } = setup(
      {
        issuers: [
          { issuer: HTTPS, provider: 'google', audiences: CLIENT },
          {
            issuer: BARE,
            audiences: 'other-client',
            jwksUrl: 'https://keys.example/jwks',
          },
        ],
      },
      { [HTTPS]: jwks(key), [BARE]: jwks(key) },
    );
    // The bare spelling has its own configuration, with its own audience.
    expect(await failure(authorizer.verifyToken(await idToken(BARE)))).toBe('audience_invalid');
    await expect(authorizer.verifyToken(await idToken(HTTPS))).resolves.toBeDefined();
  });
});
