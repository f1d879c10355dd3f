import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, DEFAULT_ALGORITHMS } from '../../../shared/config/defaults.ts';
import { OPTION_HELP } from '../../../shared/config/help.ts';
import { loadConfig } from '../../../shared/config/load.ts';
import { fixFor } from '../../../shared/config/options.ts';
import { ConfigError } from '../../../shared/errors.ts';

const ISSUER = 'https://issuer.example/';

/** Loads and returns the ConfigError, failing the test when loading succeeds. */
function configError(env: Record<string, unknown>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const withIssuer = (issuer: object, rest: object = {}) => ({
  AUTH_CONFIG: JSON.stringify({ issuers: [issuer], ...rest }),
});

describe('loadConfig from environment variables', () => {
  it('builds one generic issuer from JWT_ISSUER and JWT_AUDIENCE with every default filled', () => {
    const config = loadConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'api-a, api-b' });
    expect(config.issuers).toHaveLength(1);
    const [issuer] = config.issuers;
    expect(issuer).toMatchObject({
      issuer: ISSUER,
      provider: 'generic',
      audiences: ['api-a', 'api-b'],
      algorithms: DEFAULT_ALGORITHMS,
      clockToleranceSeconds: 30,
      jwksUrl: undefined,
      maxTokenAgeSeconds: undefined,
      typ: undefined,
    });
    expect(config.cache).toEqual(CONFIG_DEFAULTS.cache);
    expect(config.credentials).toEqual(CONFIG_DEFAULTS.credentials);
    expect(config.tokenCacheEntries).toBe(1000);
    expect(config.routes).toEqual([]);
    expect(config.realm).toBe('api');
  });

  it('reads JWKS_URL and JWT_ALGORITHMS for the environment issuer', () => {
    const config = loadConfig({
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: 'api',
      JWKS_URL: 'https://issuer.example/keys',
      JWT_ALGORITHMS: 'RS256, ES256',
    });
    expect(config.issuers[0]?.jwksUrl).toBe('https://issuer.example/keys');
    expect(config.issuers[0]?.algorithms).toEqual(['RS256', 'ES256']);
  });

  it('ignores unknown environment keys', () => {
    expect(() =>
      loadConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'a', ORIGIN_URL: 1, PATH: '/bin' }),
    ).not.toThrow();
  });

  it('treats blank JWKS_URL, JWT_ALGORITHMS and AUTH_CONFIG as absent', () => {
    const config = loadConfig({
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: 'a',
      JWKS_URL: ' ',
      JWT_ALGORITHMS: '',
      AUTH_CONFIG: '  ',
    });
    expect(config.issuers[0]?.jwksUrl).toBeUndefined();
    expect(config.issuers[0]?.algorithms).toEqual(DEFAULT_ALGORITHMS);
  });

  it('adds the environment issuer to the issuers of AUTH_CONFIG', () => {
    const config = loadConfig({
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: 'a',
      ...withIssuer({ issuer: 'https://other.example', audiences: 'b' }),
    });
    expect(config.issuers.map((i) => i.issuer)).toEqual([ISSUER, 'https://other.example']);
  });
});

describe('loadConfig rejects empty and missing required values (C07)', () => {
  it.each([
    ['empty JWT_ISSUER', { JWT_ISSUER: '', JWT_AUDIENCE: 'a' }, 'JWT_ISSUER'],
    ['whitespace JWT_ISSUER', { JWT_ISSUER: ' \t ', JWT_AUDIENCE: 'a' }, 'JWT_ISSUER'],
    ['empty JWT_AUDIENCE', { JWT_ISSUER: ISSUER, JWT_AUDIENCE: '' }, 'JWT_AUDIENCE'],
    ['whitespace JWT_AUDIENCE', { JWT_ISSUER: ISSUER, JWT_AUDIENCE: '   ' }, 'JWT_AUDIENCE'],
    ['a blank item in JWT_AUDIENCE', { JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'a,,b' }, 'JWT_AUDIENCE'],
    [
      'a trailing comma in JWT_AUDIENCE',
      { JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'a,' },
      'JWT_AUDIENCE',
    ],
    ['no JWT_AUDIENCE at all', { JWT_ISSUER: ISSUER }, 'JWT_AUDIENCE'],
    ['JWT_AUDIENCE without JWT_ISSUER', { JWT_AUDIENCE: 'a' }, 'JWT_ISSUER'],
    ['nothing configured', {}, 'JWT_ISSUER'],
    ['a non-string JWT_ISSUER', { JWT_ISSUER: 42, JWT_AUDIENCE: 'a' }, 'JWT_ISSUER'],
    [
      'an empty issuer in AUTH_CONFIG',
      withIssuer({ issuer: '', audiences: 'a' }),
      'AUTH_CONFIG.issuers[0].issuer',
    ],
    [
      'a whitespace issuer in AUTH_CONFIG',
      withIssuer({ issuer: '  ', audiences: 'a' }),
      'AUTH_CONFIG.issuers[0].issuer',
    ],
    [
      'an empty audience string',
      withIssuer({ issuer: ISSUER, audiences: '' }),
      'AUTH_CONFIG.issuers[0].audiences',
    ],
    [
      'an empty audience list',
      withIssuer({ issuer: ISSUER, audiences: [] }),
      'AUTH_CONFIG.issuers[0].audiences',
    ],
    [
      'a whitespace audience item',
      withIssuer({ issuer: ISSUER, audiences: ['a', ' '] }),
      'AUTH_CONFIG.issuers[0].audiences',
    ],
    ['missing audiences', withIssuer({ issuer: ISSUER }), 'AUTH_CONFIG.issuers[0].audiences'],
    ['an empty issuers list', { AUTH_CONFIG: '{"issuers":[]}' }, 'JWT_ISSUER'],
  ])('rejects %s, naming the option', (_, env, option) => {
    const error = configError(env as Record<string, unknown>);
    expect(error.option).toBe(option);
    expect(error.fix.length).toBeGreaterThan(10);
    expect(error.message).toContain(option);
    expect(error.message).toContain('Fix:');
  });

  it('tells the user how to opt out of the audience check explicitly', () => {
    const error = configError(withIssuer({ issuer: ISSUER }));
    expect(error.message).toMatch(/any audience would be accepted/);
    expect(error.fix).toMatch(/allowAnyAudience: true/);
  });

  it('accepts an explicit allowAnyAudience opt-out and records no audiences', () => {
    const config = loadConfig(withIssuer({ issuer: ISSUER, allowAnyAudience: true }));
    expect(config.issuers[0]?.audiences).toEqual([]);
  });

  it('rejects allowAnyAudience together with audiences', () => {
    expect(
      configError(withIssuer({ issuer: ISSUER, audiences: 'a', allowAnyAudience: true })).option,
    ).toBe('AUTH_CONFIG.issuers[0].allowAnyAudience');
  });
});

describe('loadConfig rejects values that look set but would match no token (C07 kind)', () => {
  const TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0';
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const entra = (issuer: string) =>
    withIssuer({ issuer, provider: 'entra', audiences: 'a', tenants: [TENANT] });
  const clerk = (authorizedParties: unknown) =>
    withIssuer({ issuer: 'https://clerk.example.com', provider: 'clerk', authorizedParties });

  it.each([
    ['JWT_ISSUER as a pair of quotes', { JWT_ISSUER: '""', JWT_AUDIENCE: 'a' }, 'JWT_ISSUER'],
    ['JWT_ISSUER in quotes', { JWT_ISSUER: `"${ISSUER}"`, JWT_AUDIENCE: 'a' }, 'JWT_ISSUER'],
    [
      'JWT_AUDIENCE as a pair of quotes',
      { JWT_ISSUER: ISSUER, JWT_AUDIENCE: '""' },
      'JWT_AUDIENCE',
    ],
    [
      'JWT_AUDIENCE in single quotes',
      { JWT_ISSUER: ISSUER, JWT_AUDIENCE: "'api'" },
      'JWT_AUDIENCE',
    ],
    ['a quoted JWT_AUDIENCE item', { JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'a, "b"' }, 'JWT_AUDIENCE'],
    ['JWT_AUDIENCE " , "', { JWT_ISSUER: ISSUER, JWT_AUDIENCE: ' , ' }, 'JWT_AUDIENCE'],
    [
      'JWT_AUDIENCE as a JSON array',
      { JWT_ISSUER: ISSUER, JWT_AUDIENCE: '["a","b"]' },
      'JWT_AUDIENCE',
    ],
    ['JWT_AUDIENCE "*"', { JWT_ISSUER: ISSUER, JWT_AUDIENCE: '*' }, 'JWT_AUDIENCE'],
    ['JWKS_URL in quotes', { JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'a', JWKS_URL: '""' }, 'JWKS_URL'],
    [
      'JWT_ALGORITHMS as a JSON array',
      { JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'a', JWT_ALGORITHMS: '["RS256"]' },
      'JWT_ALGORITHMS',
    ],
    [
      'audiences " , "',
      withIssuer({ issuer: ISSUER, audiences: ' , ' }),
      'AUTH_CONFIG.issuers[0].audiences',
    ],
    [
      'audiences "a,b"',
      withIssuer({ issuer: ISSUER, audiences: 'a,b' }),
      'AUTH_CONFIG.issuers[0].audiences',
    ],
    [
      'audiences "*"',
      withIssuer({ issuer: ISSUER, audiences: '*' }),
      'AUTH_CONFIG.issuers[0].audiences',
    ],
    [
      'audiences ["a", "*"]',
      withIssuer({ issuer: ISSUER, audiences: ['a', '*'] }),
      'AUTH_CONFIG.issuers[0].audiences',
    ],
    [
      'algorithms "RS256,ES256"',
      withIssuer({ issuer: ISSUER, audiences: 'a', algorithms: 'RS256,ES256' }),
      'AUTH_CONFIG.issuers[0].algorithms',
    ],
    [
      'clientIds "c1, c2"',
      withIssuer({ issuer: ISSUER, provider: 'cognito', tokenUse: 'access', clientIds: 'c1, c2' }),
      'AUTH_CONFIG.issuers[0].clientIds',
    ],
    [
      'the template in upper case',
      entra(TEMPLATE.replace('tenantid', 'TENANTID')),
      'AUTH_CONFIG.issuers[0].issuer',
    ],
    [
      'another placeholder',
      entra('https://login.microsoftonline.com/{tenant}/v2.0'),
      'AUTH_CONFIG.issuers[0].issuer',
    ],
    [
      'a stray brace',
      withIssuer({ issuer: `${ISSUER}{`, audiences: 'a' }),
      'AUTH_CONFIG.issuers[0].issuer',
    ],
    [
      'the Entra common endpoint',
      entra('https://login.microsoftonline.com/common/v2.0'),
      'AUTH_CONFIG.issuers[0].issuer',
    ],
    [
      'the Entra organizations endpoint',
      entra('https://login.microsoftonline.com/organizations/v2.0'),
      'AUTH_CONFIG.issuers[0].issuer',
    ],
    [
      'the Entra consumers endpoint (v1)',
      entra('https://sts.windows.net/consumers/'),
      'AUTH_CONFIG.issuers[0].issuer',
    ],
    ['a Clerk party "*"', clerk('*'), 'AUTH_CONFIG.issuers[0].authorizedParties'],
    [
      'a Clerk party with a trailing slash',
      clerk(['https://app.example.com/']),
      'AUTH_CONFIG.issuers[0].authorizedParties',
    ],
    [
      'a Clerk party with a path',
      clerk(['https://app.example.com/app']),
      'AUTH_CONFIG.issuers[0].authorizedParties',
    ],
    [
      'a Clerk party without a scheme',
      clerk(['app.example.com']),
      'AUTH_CONFIG.issuers[0].authorizedParties',
    ],
  ])('rejects %s, naming the option', (_, env, option) => {
    const error = configError(env as Record<string, unknown>);
    expect(error.option).toBe(option);
    expect(error.message).toContain('Fix:');
  });

  it.each([
    ['okta', 'https://example.okta.com/oauth2/default/', { audiences: 'api://default' }],
    ['keycloak', 'https://sso.example.com/realms/main/', { audiences: 'orders' }],
    ['google', 'https://accounts.google.com/', { audiences: 'client' }],
    [
      'cognito',
      'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_ABC123/',
      { tokenUse: 'access', clientIds: ['c'] },
    ],
    ['clerk', 'https://clerk.example.com/', { authorizedParties: ['https://app.example.com'] }],
    ['supabase', 'https://abcdefgh.supabase.co/auth/v1/', { audiences: 'authenticated' }],
    ['cloudflare-access', 'https://team.cloudflareaccess.com/', { audiences: 'tag' }],
  ])(
    'rejects a %s issuer with a trailing slash the provider never writes',
    (provider, issuer, rest) => {
      const error = configError(withIssuer({ issuer, provider, ...rest }));
      expect(error.option).toBe('AUTH_CONFIG.issuers[0].issuer');
      expect(error.fix).toContain(issuer.slice(0, -1));
    },
  );

  it.each([
    ['an Entra template', entra(TEMPLATE)],
    [
      'an Auth0 issuer with its slash',
      withIssuer({ issuer: ISSUER, provider: 'auth0', audiences: 'a' }),
    ],
    ['a generic issuer with a slash', withIssuer({ issuer: ISSUER, audiences: 'a' })],
    ['an Entra tenant issuer', entra(`https://login.microsoftonline.com/${TENANT}/v2.0`)],
    ['a v1 Entra template', entra('https://sts.windows.net/{tenantid}/')],
    ['Clerk origins with a port', clerk(['http://localhost:3000', 'https://app.example.com'])],
    [
      'an audience holding a comma, in an array',
      withIssuer({ issuer: ISSUER, audiences: ['a,b'] }),
    ],
    ['an audience holding a quote', withIssuer({ issuer: ISSUER, audiences: ['say "hi"'] })],
    ['a JWT_AUDIENCE item with an inner quote', { JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'a"b' }],
  ])('still loads %s', (_, env) => {
    expect(() => loadConfig(env as Record<string, unknown>)).not.toThrow();
  });

  it('says what to do with quotes and with an Entra alias', () => {
    expect(configError({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: '""' }).fix).toMatch(
      /remove the quotes/,
    );
    expect(configError(entra('https://login.microsoftonline.com/common/v2.0')).fix).toContain(
      TEMPLATE,
    );
    expect(configError(clerk(['https://app.example.com/'])).fix).toContain(
      'https://app.example.com',
    );
  });
});

describe('loadConfig reports AUTH_CONFIG mistakes with the option path and a fix', () => {
  it('rejects text that is not JSON', () => {
    const error = configError({ AUTH_CONFIG: '{issuers: [' });
    expect(error.option).toBe('AUTH_CONFIG');
    expect(error.message).toMatch(/not valid JSON/);
  });

  it.each([['[]'], ['42'], ['"text"'], ['null']])(
    'rejects JSON %s that is not an object',
    (text) => {
      expect(configError({ AUTH_CONFIG: text }).option).toBe('AUTH_CONFIG');
    },
  );

  it('accepts AUTH_CONFIG as an object, as a wrangler TOML table arrives', () => {
    const config = loadConfig({ AUTH_CONFIG: { issuers: [{ issuer: ISSUER, audiences: ['a'] }] } });
    expect(config.issuers[0]?.audiences).toEqual(['a']);
  });

  it.each([
    ['audience', 'audiences'],
    ['Audiences', 'audiences'],
    ['jwks_url', 'jwksUrl'],
    ['algorithm', 'algorithms'],
    ['clockTolerance', 'clockToleranceSeconds'],
  ])('rejects the unknown issuer key %s and suggests %s', (typo, right) => {
    const error = configError(withIssuer({ issuer: ISSUER, audiences: 'a', [typo]: 'x' }));
    expect(error.option).toBe(`AUTH_CONFIG.issuers[0].${typo}`);
    expect(error.message).toMatch(/not a known option/);
    expect(error.fix).toContain(`did you mean \`${right}\``);
  });

  it('rejects an unknown top-level key with a suggestion', () => {
    const error = configError({ AUTH_CONFIG: JSON.stringify({ isuers: [] }) });
    expect(error.option).toBe('AUTH_CONFIG.isuers');
    expect(error.fix).toContain('`issuers`');
  });

  it('rejects an unknown key inside routes, credentials and cache', () => {
    const base = { issuers: [{ issuer: ISSUER, audiences: 'a' }] };
    expect(
      configError({
        AUTH_CONFIG: JSON.stringify({ ...base, routes: [{ path: '/', scope: ['a'] }] }),
      }).option,
    ).toBe('AUTH_CONFIG.routes[0].scope');
    expect(
      configError({ AUTH_CONFIG: JSON.stringify({ ...base, credentials: { cookies: 'x' } }) })
        .option,
    ).toBe('AUTH_CONFIG.credentials.cookies');
    expect(
      configError({ AUTH_CONFIG: JSON.stringify({ ...base, cache: { maxAge: 1 } }) }).option,
    ).toBe('AUTH_CONFIG.cache.maxAge');
  });

  it.each([
    [
      'credentials inside an issuer',
      { issuers: [{ issuer: ISSUER, audiences: 'a', credentials: { cookie: '__session' } }] },
      'AUTH_CONFIG.issuers[0].credentials',
      'move it to AUTH_CONFIG',
    ],
    [
      'cookie at the top level',
      { issuers: [{ issuer: ISSUER, audiences: 'a' }], cookie: '__session' },
      'AUTH_CONFIG.cookie',
      'move it to AUTH_CONFIG.credentials',
    ],
    [
      'scopes inside an issuer',
      { issuers: [{ issuer: ISSUER, audiences: 'a', scopes: ['read'] }] },
      'AUTH_CONFIG.issuers[0].scopes',
      'move it to AUTH_CONFIG.routes[]',
    ],
  ])('says where an option put one level off belongs: %s', (_, config, option, fix) => {
    const error = configError({ AUTH_CONFIG: JSON.stringify(config) });
    expect(error.option).toBe(option);
    expect(error.fix).toBe(fix);
  });

  it('names the spelling the other level uses', () => {
    const error = configError({ AUTH_CONFIG: JSON.stringify({ audience: 'a' }) });
    expect(error.fix).toBe('move it to AUTH_CONFIG.issuers[] as `audiences`');
  });

  it('still lists the known options for a key no level knows', () => {
    const error = configError({ AUTH_CONFIG: JSON.stringify({ zzz: 1 }) });
    expect(error.fix).toMatch(/^remove it; known options: issuers, routes/);
  });

  it.each([
    [{ clockToleranceSeconds: '30' }, 'clockToleranceSeconds', /must be a number/],
    [{ clockToleranceSeconds: -1 }, 'clockToleranceSeconds', /at least 0/],
    [{ clockToleranceSeconds: 1.5 }, 'clockToleranceSeconds', /whole number/],
    [{ maxTokenAgeSeconds: 0 }, 'maxTokenAgeSeconds', /at least 1/],
    [{ provider: 'auth1' }, 'provider', /must be one of/],
    [{ typ: '' }, 'typ', /empty/],
    [{ requiredClaims: ['sub', ''] }, 'requiredClaims', /empty/],
    [{ jwksUrl: 'http://keys.example/jwks' }, 'jwksUrl', /http/],
    [{ jwksUrl: 'ftp://keys.example/jwks' }, 'jwksUrl', /only https/],
    [{ jwksUrl: 'not a url' }, 'jwksUrl', /not an absolute URL/],
    [{ jwksUrl: 'https://user:pw@keys.example/' }, 'jwksUrl', /password/],
  ])('rejects issuer option %j', (extra, field, problem) => {
    const error = configError(withIssuer({ issuer: ISSUER, audiences: 'a', ...extra }));
    expect(error.option.startsWith(`AUTH_CONFIG.issuers[0].${field}`)).toBe(true);
    expect(error.message).toMatch(problem);
  });

  it.each(['http://127.0.0.1:8787/jwks', 'http://localhost/jwks', 'http://[::1]:9000/jwks'])(
    'allows the loopback http key-set address %s for development',
    (jwksUrl) => {
      expect(
        loadConfig(withIssuer({ issuer: ISSUER, audiences: 'a', jwksUrl })).issuers[0]?.jwksUrl,
      ).toBe(jwksUrl);
    },
  );

  it('requires a fetchable issuer when keys are discovered, and accepts any issuer string with jwksUrl', () => {
    expect(
      configError(withIssuer({ issuer: 'http://issuer.example', audiences: 'a' })).fix,
    ).toMatch(/jwksUrl/);
    expect(configError(withIssuer({ issuer: 'joe', audiences: 'a' })).option).toBe(
      'AUTH_CONFIG.issuers[0].issuer',
    );
    const config = loadConfig(
      withIssuer({ issuer: 'joe', audiences: 'a', jwksUrl: 'https://k.example/' }),
    );
    expect(config.issuers[0]?.issuer).toBe('joe');
  });

  it.each(['HS256', 'HS384', 'HS512', 'none', 'hs256'])(
    'rejects the algorithm %s as a configuration error (C01)',
    (alg) => {
      const error = configError(withIssuer({ issuer: ISSUER, audiences: 'a', algorithms: [alg] }));
      expect(error.option).toBe('AUTH_CONFIG.issuers[0].algorithms');
      expect(error.message).toMatch(/never accepted/);
    },
  );

  it('rejects HS256 in JWT_ALGORITHMS, naming that variable', () => {
    expect(
      configError({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'a', JWT_ALGORITHMS: 'RS256,HS256' }).option,
    ).toBe('JWT_ALGORITHMS');
  });

  it('rejects an unknown algorithm such as ES256K', () => {
    expect(
      configError(withIssuer({ issuer: ISSUER, audiences: 'a', algorithms: 'ES256K' })).message,
    ).toMatch(/unknown algorithm ES256K/);
  });

  it('rejects a duplicate issuer, in AUTH_CONFIG and between the environment and AUTH_CONFIG', () => {
    const twice = {
      AUTH_CONFIG: JSON.stringify({
        issuers: [
          { issuer: ISSUER, audiences: 'a' },
          { issuer: ISSUER, audiences: 'b' },
        ],
      }),
    };
    expect(configError(twice).option).toBe('AUTH_CONFIG.issuers[1].issuer');
    expect(
      configError({
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: 'a',
        ...withIssuer({ issuer: ISSUER, audiences: 'b' }),
      }).option,
    ).toBe('JWT_ISSUER');
  });

  it('trims issuer and audience values', () => {
    const config = loadConfig(withIssuer({ issuer: ` ${ISSUER} `, audiences: [' a '] }));
    expect(config.issuers[0]?.issuer).toBe(ISSUER);
    expect(config.issuers[0]?.audiences).toEqual(['a']);
  });
});

describe('loadConfig applies the provider profiles', () => {
  it('requires the Auth0 issuer to keep its trailing slash', () => {
    const error = configError(
      withIssuer({ issuer: 'https://tenant.auth0.com', provider: 'auth0', audiences: 'a' }),
    );
    expect(error.option).toBe('AUTH_CONFIG.issuers[0].issuer');
    expect(error.fix).toContain('https://tenant.auth0.com/');
  });

  it('requires tokenUse for Cognito, clientIds for access tokens, and no audiences with them', () => {
    const cognito = {
      issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X',
      provider: 'cognito',
    };
    expect(configError(withIssuer({ ...cognito, clientIds: 'C1' })).option).toMatch(/tokenUse$/);
    expect(configError(withIssuer({ ...cognito, tokenUse: 'access' })).option).toMatch(
      /clientIds$/,
    );
    expect(
      configError(withIssuer({ ...cognito, tokenUse: 'access', clientIds: 'C1', audiences: 'C1' }))
        .option,
    ).toMatch(/audiences$/);
    expect(
      configError(withIssuer({ ...cognito, tokenUse: 'both', clientIds: 'C1' })).option,
    ).toMatch(/tokenUse$/);
    const access = loadConfig(withIssuer({ ...cognito, tokenUse: 'access', clientIds: ['C1'] }))
      .issuers[0]!;
    expect(access.audiences).toEqual([]);
    expect(access.profile).toEqual({ tokenUse: 'access', clientIds: ['C1'] });
    const id = loadConfig(withIssuer({ ...cognito, tokenUse: 'id', clientIds: ['C1'] }))
      .issuers[0]!;
    expect(id.audiences).toEqual(['C1']);
  });

  it('rejects Cognito options on another provider', () => {
    expect(
      configError(withIssuer({ issuer: ISSUER, audiences: 'a', tokenUse: 'access' })).fix,
    ).toMatch(/cognito/);
  });

  it('requires authorized parties for Clerk unless the check is waived explicitly', () => {
    const clerk = { issuer: 'https://clerk.example.dev', provider: 'clerk' };
    expect(configError(withIssuer(clerk)).option).toBe('AUTH_CONFIG.issuers[0].authorizedParties');
    expect(
      loadConfig(withIssuer({ ...clerk, authorizedParties: 'https://app.example' })).issuers[0]
        ?.audiences,
    ).toEqual([]);
    expect(
      loadConfig(withIssuer({ ...clerk, allowAnyAudience: true })).issuers[0]?.profile,
    ).toEqual({});
  });

  it('requires a tenant list for the Entra {tenantid} template and checks the tenant ids', () => {
    const entra = {
      issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
      provider: 'entra',
      audiences: 'api',
    };
    expect(configError(withIssuer(entra)).option).toBe('AUTH_CONFIG.issuers[0].tenants');
    expect(configError(withIssuer({ ...entra, tenants: ['contoso'] })).message).toMatch(
      /not a tenant GUID/,
    );
    expect(
      configError(withIssuer({ ...entra, tenants: ['*', '72f988bf-86f1-41af-91ab-2d7cd011db47'] }))
        .message,
    ).toMatch(/mixes/);
    expect(loadConfig(withIssuer({ ...entra, tenants: '*' })).issuers[0]?.profile.tenants).toBe(
      '*',
    );
    expect(
      loadConfig(withIssuer({ ...entra, tenants: ['72F988BF-86F1-41AF-91AB-2D7CD011DB47'] }))
        .issuers[0]?.profile.tenants,
    ).toEqual(['72f988bf-86f1-41af-91ab-2d7cd011db47']);
  });

  it('rejects the {tenantid} template on a provider other than Entra', () => {
    const error = configError(
      withIssuer({ issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', audiences: 'a' }),
    );
    expect(error.fix).toMatch(/entra/);
  });
});

describe('loadConfig validates routes, credentials and the rest', () => {
  const base = { issuers: [{ issuer: ISSUER, audiences: 'a' }] };
  const load = (extra: object) =>
    loadConfig({ AUTH_CONFIG: JSON.stringify({ ...base, ...extra }) });
  const fail = (extra: object) =>
    configError({ AUTH_CONFIG: JSON.stringify({ ...base, ...extra }) });

  it('normalises route rules into declarative data', () => {
    const config = load({
      routes: [
        { path: '/health', public: true },
        { method: 'get', path: '/public/**', public: true },
        {
          methods: ['POST', 'DELETE'],
          path: '/admin//**',
          scopes: ['admin'],
          scopesMatch: 'any',
          claims: { role: 'admin' },
        },
        { path: '/ws', queryParameter: 'access_token' },
      ],
    });
    expect(config.routes).toEqual([
      { methods: ['*'], path: '/health', require: { kind: 'public' }, queryParameter: undefined },
      {
        methods: ['GET'],
        path: '/public/**',
        require: { kind: 'public' },
        queryParameter: undefined,
      },
      {
        methods: ['POST', 'DELETE'],
        path: '/admin/**',
        require: {
          kind: 'token',
          scopes: ['admin'],
          scopesMatch: 'any',
          claims: { role: ['admin'] },
        },
        queryParameter: undefined,
      },
      {
        methods: ['*'],
        path: '/ws',
        require: { kind: 'token', scopes: [], scopesMatch: 'all', claims: {} },
        queryParameter: 'access_token',
      },
    ]);
  });

  it.each([
    [{ path: 'admin' }, 'routes[0].path', /does not start/],
    [{ path: '/a/**/b' }, 'routes[0].path', /last segment/],
    [{ path: '/a/b*' }, 'routes[0].path', /mixes/],
    [{ path: '/a/../b' }, 'routes[0].path', /dot segment/],
    [{ path: '' }, 'routes[0].path', /empty/],
    [{ path: '/', method: 'GET', methods: ['POST'] }, 'routes[0].method', /together/],
    [{ path: '/', methods: [] }, 'routes[0].methods', /empty list/],
    [{ path: '/', method: 'GET POST' }, 'routes[0].method', /not an HTTP method/],
    [{ path: '/', public: true, scopes: ['a'] }, 'routes[0].public', /scopes/],
    [{ path: '/', scopes: ['a b'] }, 'routes[0].scopes', /whitespace/],
    [{ path: '/', scopesMatch: 'some' }, 'routes[0].scopesMatch', /"all" or "any"/],
    [{ path: '/', claims: { role: [] } }, 'routes[0].claims.role', /empty list/],
    [{ path: '/', claims: { role: { a: 1 } } }, 'routes[0].claims.role', /value/],
  ])('rejects the route %j', (route, option, problem) => {
    const error = fail({ routes: [route] });
    expect(error.option).toBe(`AUTH_CONFIG.${option}`);
    expect(error.message).toMatch(problem);
  });

  it.each([
    [{ credentials: { bearer: false } }, 'AUTH_CONFIG.credentials', /every credential source/],
    [{ credentials: { cookie: '__session;x' } }, 'AUTH_CONFIG.credentials.cookie', /cookie name/],
    [{ credentials: { cookie: '' } }, 'AUTH_CONFIG.credentials.cookie', /empty/],
    [{ credentials: { header: 'Bad Header' } }, 'AUTH_CONFIG.credentials.header', /header name/],
    [
      { credentials: { maxTokenBytes: 10 } },
      'AUTH_CONFIG.credentials.maxTokenBytes',
      /at least 256/,
    ],
    [{ forwardClaims: { email: 'Authorization' } }, 'AUTH_CONFIG.forwardClaims.email', /reserved/],
    [{ forwardClaims: { email: 'X Email' } }, 'AUTH_CONFIG.forwardClaims.email', /header name/],
    [
      { identityHeaders: { subject: 'X-A', issuer: 'x-a' } },
      'AUTH_CONFIG.identityHeaders.issuer',
      /same header/,
    ],
    [
      { forwardClaims: { name: 'x-auth-subject' } },
      'AUTH_CONFIG.forwardClaims.name',
      /same header as identityHeaders.subject/,
    ],
    [
      { forwardClaims: { nickname: 'X_Auth_Issuer' } },
      'AUTH_CONFIG.forwardClaims.nickname',
      /same header as identityHeaders.issuer/,
    ],
    [
      { forwardClaims: { email: 'X-Email', mail: 'x_email' } },
      'AUTH_CONFIG.forwardClaims.mail',
      /same header as forwardClaims.email/,
    ],
    [
      { credentials: { header: 'X-Auth-Subject' } },
      'AUTH_CONFIG.credentials.header',
      /same header as identityHeaders.subject/,
    ],
    [{ corsOrigins: ['*'] }, 'AUTH_CONFIG.corsOrigins[0]', /any site/],
    [{ corsOrigins: ['https://app.example/path'] }, 'AUTH_CONFIG.corsOrigins[0]', /not an origin/],
    [{ realm: 'a"b' }, 'AUTH_CONFIG.realm', /quotes/],
    [{ cache: { minMaxAgeSeconds: 900 } }, 'AUTH_CONFIG.cache.defaultMaxAgeSeconds', /outside/],
    [
      { cache: { fetchTimeoutSeconds: 0 } },
      'AUTH_CONFIG.cache.fetchTimeoutSeconds',
      /greater than 0/,
    ],
    [{ tokenCacheEntries: -1 }, 'AUTH_CONFIG.tokenCacheEntries', /at least 0/],
    [{ forwardAuthorization: 'yes' }, 'AUTH_CONFIG.forwardAuthorization', /true or false/],
  ])('rejects %j', (extra, option, problem) => {
    const error = fail(extra);
    expect(error.option).toBe(option);
    expect(error.message).toMatch(problem);
    expect(error.fix).not.toBe('');
  });

  it('names the origin to write for a CORS origin with a path, and none for an opaque one', () => {
    expect(fail({ corsOrigins: ['https://app.example/path'] }).fix).toBe(
      'write it as https://app.example',
    );
    // `file:` has the opaque origin "null": there is nothing to write instead.
    const opaque = fail({ corsOrigins: ['file:///srv/app'] });
    expect(opaque.message).toMatch(/not an origin/);
    expect(opaque.fix).not.toMatch(/null/);
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'rejects a claim requirement named %s rather than dropping it silently',
    (name) => {
      const text = `{"issuers":[{"issuer":"${ISSUER}","audiences":"a"}],"routes":[{"path":"/x","claims":{"${name}":["y"]}}]}`;
      const error = configError({ AUTH_CONFIG: text });
      expect(error.option).toBe('AUTH_CONFIG.routes[0].claims');
      expect(error.message).toContain(name);
      const forwarded = `{"issuers":[{"issuer":"${ISSUER}","audiences":"a"}],"forwardClaims":{"${name}":"X-A"}}`;
      expect(configError({ AUTH_CONFIG: forwarded }).option).toBe('AUTH_CONFIG.forwardClaims');
    },
  );

  it('rejects an array where claims or forwardClaims must be an object', () => {
    expect(fail({ routes: [{ path: '/x', claims: [] }] }).option).toBe(
      'AUTH_CONFIG.routes[0].claims',
    );
    expect(fail({ forwardClaims: [] }).option).toBe('AUTH_CONFIG.forwardClaims');
    expect(load({ routes: [{ path: '/x', claims: {} }] }).routes[0]?.require).toMatchObject({
      claims: {},
    });
  });

  it('suggests the serialised origin for an origin with a trailing slash', () => {
    expect(fail({ corsOrigins: ['https://app.example/'] }).fix).toContain('https://app.example');
  });

  it('keeps configured cache values and fills the others', () => {
    const config = load({ cache: { defaultMaxAgeSeconds: 300, fetchTimeoutSeconds: 2.5 } });
    expect(config.cache).toEqual({
      ...CONFIG_DEFAULTS.cache,
      defaultMaxAgeSeconds: 300,
      fetchTimeoutSeconds: 2.5,
    });
  });
});

describe('fixFor', () => {
  it.each([
    ['AUTH_CONFIG.forwardClaims.x]', 'forwardClaims'],
    ['AUTH_CONFIG.routes[3].claims.a[b', 'routes[].claims'],
    ['AUTH_CONFIG.routes[0].claims.realm_access.roles', 'routes[].claims'],
    ['AUTH_CONFIG.issuers[1]', 'issuers[]'],
    ['AUTH_CONFIG.nothing]', 'AUTH_CONFIG'],
    ['JWT_AUDIENCE', 'JWT_AUDIENCE'],
  ])('finds the documented fix for %s through its parent %s', (option, documented) => {
    expect(fixFor(option)).toBe(OPTION_HELP[documented]!.fix);
  });
});

describe('messages for mistakes a new user makes', () => {
  const issuer = { issuer: 'https://tenant.eu.auth0.com/', audiences: ['https://api.example.com'] };
  const withIssuer = (extra: Record<string, unknown>) => ({
    AUTH_CONFIG: JSON.stringify({ issuers: [{ ...issuer, ...extra }] }),
  });

  it.each([
    ['Auth0', 'auth0'],
    ['auth-0', 'auth0'],
    ['azure', 'entra'],
    ['Microsoft', 'entra'],
    ['cloudflare', 'cloudflare-access'],
    ['firebase', 'google'],
    ['aws', 'cognito'],
    ['keycloack', 'keycloak'],
  ])('a provider written %s names the profile %s in the fix', (written, profile) => {
    const error = configError(withIssuer({ provider: written }));
    expect(error.option).toBe('AUTH_CONFIG.issuers[0].provider');
    expect(error.fix).toContain(`did you mean "${profile}"?`);
  });

  it.each(['zzzz', 'constructor', 'toString', '__proto__'])(
    'a provider name like none of the profiles (%s) gets the list only',
    (written) => {
      const error = configError(withIssuer({ provider: written }));
      expect(error.fix).not.toContain('did you mean');
      expect(error.fix).toContain('cloudflare-access');
    },
  );

  it('an audience list serialised as a JSON string says so, not "holding commas"', () => {
    const error = configError(withIssuer({ audiences: '["a","b"]' }));
    expect(error.option).toBe('AUTH_CONFIG.issuers[0].audiences');
    expect(error.message).toContain('JSON array written as a string');
    // One element in JSON text has no comma and must not slip through as the audience `["a"]`.
    expect(configError(withIssuer({ audiences: '["a"]' })).message).toContain('JSON array');
  });

  it('a blank JWT_ISSUER beside listed issuers is still an error whose fix is to remove it', () => {
    const env = { JWT_ISSUER: '', JWT_AUDIENCE: '', ...withIssuer({}) };
    const error = configError(env);
    expect(error.option).toBe('JWT_ISSUER');
    expect(error.fix).toMatch(/^remove JWT_ISSUER/);
    // Without issuers in AUTH_CONFIG, setting it is the only fix offered.
    expect(configError({ JWT_ISSUER: ' ' }).fix).toBe(fixFor('JWT_ISSUER'));
  });
});
