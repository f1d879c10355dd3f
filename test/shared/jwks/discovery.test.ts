/**
 * OIDC discovery with the real documents in ../shared/realdata/discovery, served byte-exact by
 * the loopback provider: requests for the providers' real hosts are routed to it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../../shared/errors.ts';
import { createKeySetCache } from '../../../shared/jwks/cache.ts';
import {
  addressProblem,
  discoveryUrl,
  jwksUriFromDiscovery,
} from '../../../shared/jwks/discovery.ts';
import { type Provider, startProvider } from '../../fixtures/provider.ts';
import {
  authConfig,
  clock,
  issuerConfig,
  memoryStore,
  realFile,
  routedFetch,
  runtime,
} from './support.ts';

const JSON_TYPE = { 'content-type': 'application/json' };

/** A real provider: its discovery document, its key set, and the issuer to configure. */
interface RealProvider {
  name: string;
  discovery: string;
  jwks: string;
  issuer: string;
}

const PROVIDERS: RealProvider[] = [
  {
    name: 'Google',
    discovery: 'google.json',
    jwks: 'google-oauth2-v3-certs.json',
    issuer: 'https://accounts.google.com',
  },
  {
    name: 'Apple',
    discovery: 'apple.json',
    jwks: 'apple-auth-keys.json',
    issuer: 'https://appleid.apple.com',
  },
  {
    name: 'GitLab',
    discovery: 'gitlab-com.json',
    jwks: 'gitlab-com-oauth-discovery-keys.json',
    issuer: 'https://gitlab.com',
  },
  {
    name: 'Auth0 (issuer with its trailing slash)',
    discovery: 'auth0-common.json',
    jwks: 'auth0-common-jwks.json',
    issuer: 'https://common.auth0.com/',
  },
  {
    name: 'Cognito',
    discovery: 'aws-cognito-userpool-us-east-1_BGU9CKFCM.json',
    jwks: 'aws-cognito-userpool-us-east-1_BGU9CKFCM.json',
    issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BGU9CKFCM',
  },
  {
    name: 'Kubernetes',
    discovery: 'kubernetes-serviceaccount-issuer.json',
    jwks: 'kubernetes-serviceaccount-issuer-jwks.json',
    issuer: 'https://kubernetes.default.svc.cluster.local',
  },
  {
    name: 'Entra (the {tenantid} template)',
    discovery: 'entra-common-v2.0.json',
    jwks: 'entra-common-discovery-v2.0-keys.json',
    issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
  },
];

let provider: Provider;

beforeEach(async () => {
  provider = await startProvider();
});

afterEach(async () => {
  await provider.close();
});

/**
 * Serves `real`'s documents at the paths of their real addresses (the discovery document at
 * `discoveryPath` when given) and returns a fetch that routes their hosts to the provider.
 */
function serveReal(real: RealProvider, discoveryPath?: string) {
  const document = realFile(`discovery/${real.discovery}`);
  const jwksUri = JSON.parse(document).jwks_uri as string;
  const wellKnown = new URL(discoveryUrl(real.issuer));
  provider.route(discoveryPath ?? wellKnown.pathname, { body: document, headers: JSON_TYPE });
  provider.route(new URL(jwksUri).pathname, {
    body: realFile(`jwks/${real.jwks}`),
    headers: JSON_TYPE,
  });
  const origins = [wellKnown.origin, new URL(jwksUri).origin];
  return {
    jwksUri,
    discoveryPath: discoveryPath ?? wellKnown.pathname,
    fetch: routedFetch(provider.url, origins),
  };
}

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('expected the lookup to fail');
}

describe.each(PROVIDERS)('discovery for $name', (real) => {
  it('finds the key set through the real discovery document', async () => {
    const served = serveReal(real);
    const issuer = issuerConfig(real.issuer, undefined);
    const cache = createKeySetCache(
      authConfig([issuer]),
      runtime(clock(), { fetch: served.fetch }),
    );

    const lookup = await cache.getKeys(issuer, undefined);

    expect(lookup.keys.length).toBeGreaterThan(0);
    expect(cache.status(issuer).jwksUrl).toBe(served.jwksUri);
    expect(provider.count(served.discoveryPath)).toBe(1);
    expect(provider.count(new URL(served.jwksUri).pathname)).toBe(1);
    expect(cache.stats().fetches).toBe(2);
  });
});

describe('discovery rules', () => {
  const google = PROVIDERS[0] as RealProvider;
  const auth0 = PROVIDERS[3] as RealProvider;
  const entra = PROVIDERS[6] as RealProvider;

  it('discovers Entra from the common endpoint for the template issuer', () => {
    expect(discoveryUrl(entra.issuer)).toBe(
      'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
    );
  });

  it('accepts the Entra template document for an issuer with a concrete tenant', async () => {
    const tenant = '9188040d-6c67-4c5b-b112-36a304b66dad';
    const concrete = `https://login.microsoftonline.com/${tenant}/v2.0`;
    const served = serveReal(entra, `/${tenant}/v2.0/.well-known/openid-configuration`);
    const issuer = issuerConfig(concrete, undefined);
    const cache = createKeySetCache(
      authConfig([issuer]),
      runtime(clock(), { fetch: served.fetch }),
    );

    expect((await cache.getKeys(issuer, undefined)).keys.length).toBe(8);
  });

  it('rejects a template document whose fixed parts differ from the configured issuer', () => {
    const document = JSON.stringify({
      issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
      jwks_uri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
    });
    const call = () => jwksUriFromDiscovery(document, 'https://login.microsoftonline.com/x/y/v2.0');
    expect(call).toThrow(AuthError);
  });

  it('discovers Auth0 without doubling its trailing slash', () => {
    expect(discoveryUrl(auth0.issuer)).toBe(
      'https://common.auth0.com/.well-known/openid-configuration',
    );
  });

  it('rejects Auth0 configured without its trailing slash, saying so', async () => {
    const served = serveReal(auth0);
    const issuer = issuerConfig('https://common.auth0.com', undefined);
    const cache = createKeySetCache(
      authConfig([issuer]),
      runtime(clock(), { fetch: served.fetch }),
    );

    const error = await failure(cache.getKeys(issuer, undefined));

    expect(error.code).toBe('key_set_invalid');
    expect(error.message).toContain('"https://common.auth0.com/"');
    expect(error.message).toContain('trailing slash');
    expect(provider.count(new URL(served.jwksUri).pathname)).toBe(0);
  });

  it('rejects a document that names another issuer and never fetches its jwks_uri', async () => {
    const served = serveReal(google, '/.well-known/openid-configuration');
    const issuer = issuerConfig('https://accounts.google.com/', undefined);
    const cache = createKeySetCache(
      authConfig([issuer]),
      runtime(clock(), { fetch: served.fetch }),
    );

    const error = await failure(cache.getKeys(issuer, undefined));

    expect(error.code).toBe('key_set_invalid');
    expect(error.message).toContain('not exactly the configured one');
    expect(provider.count(new URL(served.jwksUri).pathname)).toBe(0);
    // Remembered like any failure: no refetch per request.
    await failure(cache.getKeys(issuer, undefined));
    expect(provider.count('/.well-known/openid-configuration')).toBe(1);
  });

  it('rejects an http jwks_uri on a non-loopback host', async () => {
    const issuerUrl = provider.url;
    provider.route('/.well-known/openid-configuration', {
      body: { issuer: issuerUrl, jwks_uri: 'http://keys.example.com/jwks.json' },
    });
    const issuer = issuerConfig(issuerUrl, undefined);
    const cache = createKeySetCache(authConfig([issuer]), runtime(clock()));

    const error = await failure(cache.getKeys(issuer, undefined));

    expect(error.code).toBe('key_set_invalid');
    expect(error.message).toContain('is not https');
  });

  it('allows an http jwks_uri on loopback, for local development', async () => {
    const served = serveReal(google);
    provider.route('/.well-known/openid-configuration', {
      body: { issuer: provider.url, jwks_uri: `${provider.url}/oauth2/v3/certs` },
    });
    const issuer = issuerConfig(provider.url, undefined);
    const cache = createKeySetCache(
      authConfig([issuer]),
      runtime(clock(), { fetch: served.fetch }),
    );

    expect((await cache.getKeys(issuer, undefined)).keys).toHaveLength(2);
  });

  it('rejects discovery documents without issuer or jwks_uri, or not JSON', () => {
    const issuer = 'https://issuer.example';
    const codeOf = (body: string) => {
      try {
        jwksUriFromDiscovery(body, issuer);
      } catch (error) {
        return error instanceof AuthError ? error.message : 'other';
      }
      return 'accepted';
    };
    expect(codeOf('{"jwks_uri":"https://issuer.example/keys"}')).toContain('no "issuer"');
    expect(codeOf(`{"issuer":"${issuer}"}`)).toContain('no "jwks_uri"');
    expect(codeOf('<html>')).toContain('HTML, not JSON');
    expect(codeOf('{"issuer":')).toContain('is not JSON');
    expect(codeOf(`{"issuer":"${issuer.toUpperCase()}","jwks_uri":"${issuer}/k"}`)).toContain(
      'not exactly the configured one',
    );
    expect(codeOf('[]')).toContain('not a JSON object');
    expect(codeOf(`{"issuer":"${issuer}","jwks_uri":"keys.json"}`)).toContain('absolute URL');
  });

  it('refuses to discover from an http issuer on a non-loopback host', () => {
    expect(() => discoveryUrl('http://issuer.example')).toThrow(/is not https/);
  });

  it('classifies addresses: https anywhere, http only on loopback, no credentials', () => {
    expect(addressProblem('https://keys.example/jwks')).toBeUndefined();
    expect(addressProblem('http://127.0.0.1:8080/jwks')).toBeUndefined();
    expect(addressProblem('http://localhost/jwks')).toBeUndefined();
    expect(addressProblem('http://[::1]:9000/jwks')).toBeUndefined();
    expect(addressProblem('http://10.0.0.1/jwks')).toContain('not https');
    // Names under .localhost are left to resolvers, which need not keep them on loopback.
    expect(addressProblem('http://keys.localhost/jwks')).toContain('not https');
    expect(addressProblem('http://127.0.0.1.example.com/jwks')).toContain('not https');
    expect(addressProblem('ftp://keys.example/jwks')).toContain('not https');
    expect(addressProblem('https://user:pw@keys.example/jwks')).toContain('credentials');
  });
});

describe('discovery and the cache tiers', () => {
  const google = PROVIDERS[0] as RealProvider;

  it('does not rediscover while the discovery document is fresh', async () => {
    const served = serveReal(google);
    const issuer = issuerConfig(google.issuer, undefined);
    const time = clock();
    const cache = createKeySetCache(
      authConfig([issuer], { minMaxAgeSeconds: 60 }),
      runtime(time, { fetch: served.fetch }),
    );
    await cache.getKeys(issuer, undefined);

    // The discovery document had no caching headers: default freshness, 600 s in these tests.
    time.advance(100);
    await cache.refresh(issuer);

    expect(provider.count(served.discoveryPath)).toBe(1);
    expect(provider.count(new URL(served.jwksUri).pathname)).toBe(2);
  });

  it('keeps the known key-set address when rediscovery fails', async () => {
    const served = serveReal(google);
    const issuer = issuerConfig(google.issuer, undefined);
    const time = clock();
    const cache = createKeySetCache(authConfig([issuer]), runtime(time, { fetch: served.fetch }));
    await cache.getKeys(issuer, undefined);
    provider.route(served.discoveryPath, { status: 503 });

    time.advance(601);
    const lookup = await cache.getKeys(issuer, undefined);

    expect(lookup.cache).toBe('refreshed');
    expect(provider.count(new URL(served.jwksUri).pathname)).toBe(2);
  });

  it('does not retry a failed rediscovery on each refresh within the failure backoff', async () => {
    const served = serveReal(google);
    const issuer = issuerConfig(google.issuer, undefined);
    const time = clock();
    const cache = createKeySetCache(
      authConfig([issuer], { failureBackoffSeconds: 120 }),
      runtime(time, { fetch: served.fetch }),
    );
    await cache.getKeys(issuer, undefined);
    provider.route(served.discoveryPath, { status: 503 });

    time.advance(601);
    await cache.getKeys(issuer, undefined);
    // Unknown kids after the cooldown refetch the key set, from the address already known.
    time.advance(31);
    await failure(cache.getKeys(issuer, 'rotated-1'));
    time.advance(31);
    await failure(cache.getKeys(issuer, 'rotated-2'));

    expect(provider.count(served.discoveryPath)).toBe(2);
    expect(provider.count(new URL(served.jwksUri).pathname)).toBe(4);

    time.advance(120);
    await failure(cache.getKeys(issuer, 'rotated-3'));
    expect(provider.count(served.discoveryPath)).toBe(3);
  });

  it.each([
    ['the right issuer first', false],
    ['the wrong issuer first', true],
  ])('holds issuers that differ in a trailing slash to their own check, %s', async (_, flip) => {
    const auth0 = PROVIDERS.find((real) => real.discovery === 'auth0-common.json') as RealProvider;
    const served = serveReal(auth0);
    const right = issuerConfig('https://common.auth0.com/', undefined);
    const wrong = issuerConfig('https://common.auth0.com', undefined);
    const store = memoryStore();
    const cache = createKeySetCache(
      authConfig(flip ? [wrong, right] : [right, wrong]),
      runtime(clock(), { fetch: served.fetch, store }),
    );

    const order = flip ? [wrong, right] : [right, wrong];
    const outcomes = new Map<string, string>();
    for (const issuer of order) {
      try {
        await cache.getKeys(issuer, undefined);
        outcomes.set(issuer.issuer, 'keys');
      } catch (error) {
        outcomes.set(issuer.issuer, (error as AuthError).code);
      }
    }

    expect(outcomes.get(right.issuer)).toBe('keys');
    expect(outcomes.get(wrong.issuer)).toBe('key_set_invalid');
    // A fresh isolate sharing the store: the snapshot the right issuer wrote spares the wrong
    // one nothing.
    const isolate = createKeySetCache(
      authConfig([wrong]),
      runtime(clock(), { fetch: served.fetch, store }),
    );
    expect((await failure(isolate.getKeys(wrong, undefined))).code).toBe('key_set_invalid');
  });

  it.each([
    [
      'an HTML page',
      { body: '<!doctype html><p>Sign in</p>', headers: { 'content-type': 'text/html' } },
      'key_set_invalid',
    ],
    [
      'a document over maxResponseBytes',
      { body: `{"pad":"${'x'.repeat(70_000)}"}` },
      'key_set_unavailable',
    ],
    ['a 500', { status: 500 }, 'key_set_unavailable'],
  ])('fails a cold lookup on %s at discovery and backs off', async (_, reply, code) => {
    const issuer = issuerConfig(provider.url, undefined);
    provider.route('/.well-known/openid-configuration', reply);
    const time = clock();
    const cache = createKeySetCache(authConfig([issuer]), runtime(time));

    for (let i = 0; i < 5; i++) {
      expect((await failure(cache.getKeys(issuer, 'k1'))).code).toBe(code);
    }
    expect(provider.count()).toBe(1);
    time.advance(10);
    await failure(cache.getKeys(issuer, 'k1'));
    expect(provider.count()).toBe(2);
  });

  it('serves a fresh isolate from the store without discovering', async () => {
    const served = serveReal(google);
    const issuer = issuerConfig(google.issuer, undefined);
    const store = memoryStore();
    const first = createKeySetCache(
      authConfig([issuer]),
      runtime(clock(), { fetch: served.fetch, store }),
    );
    await first.getKeys(issuer, undefined);
    provider.resetCounts();

    const isolate = createKeySetCache(
      authConfig([issuer]),
      runtime(clock(), { fetch: served.fetch, store, shareInFlight: false }),
    );
    const lookup = await isolate.getKeys(issuer, undefined);

    expect(lookup.cache).toBe('hit');
    expect(provider.count()).toBe(0);
    expect(isolate.status(issuer).jwksUrl).toBe(served.jwksUri);
  });
});
