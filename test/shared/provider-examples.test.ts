/**
 * The README's provider examples, read from the README itself, against tokens shaped like each
 * provider's real ones (header, claims, where the credential travels). An example that refuses
 * a real token of its provider is a bug in the product or in the README, whichever is wrong.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuthRequest } from '../../shared/types.ts';
import { jwks, makeKey, type TestKey } from '../fixtures/keys.ts';
import { repoRoot, request, setup } from './fixtures/setup.ts';
import { hmacToken, signRaw } from './fixtures/sign.ts';
import { NOW } from './fixtures/tokens.ts';

interface Example {
  issuer: Record<string, unknown> & { issuer: string; audiences?: string[] };
  credentials: object | undefined;
}

/** Each `"provider"` example of the README, with the `credentials` sentence that follows it. */
function readmeExamples(): [string, Example][] {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const found: [string, Example][] = [];
  for (const match of readme.matchAll(/```json\n([\s\S]*?)```\n+(with `("credentials"[^`]*)`)?/g)) {
    const entry = JSON.parse(match[1] as string) as Example['issuer'];
    if (typeof entry.provider !== 'string' || !('issuer' in entry)) continue;
    const credentials = match[3] ? JSON.parse(`{${match[3]}}`).credentials : undefined;
    found.push([`${entry.provider} (${entry.issuer})`, { issuer: entry, credentials }]);
  }
  return found;
}

const examples = readmeExamples();

let rsa: TestKey;
let rsaNoAlg: TestKey;
let ec: TestKey;
beforeAll(async () => {
  rsa = await makeKey('RS256', 'provider-rs');
  // Entra publishes its keys without `alg` (C12).
  rsaNoAlg = await makeKey('RS256', 'provider-noalg', { publishAlg: false });
  ec = await makeKey('ES256', 'provider-es');
});

/** A token variant: its claims and header, and how the request carries it. */
interface Shape {
  claims: Record<string, unknown>;
  header?: Record<string, unknown>;
  send?: (token: string) => AuthRequest;
}

/** A provider's real token shape, and variants that its example must refuse. */
interface Provider {
  key: () => TestKey;
  good: Record<string, Shape>;
  bad: Record<string, Shape>;
}

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OTHER_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const times = { iat: NOW - 30, exp: NOW + 3600 };
const bearerGet = (token: string) =>
  request('GET', '/api/orders', { authorization: `Bearer ${token}` });

/** Fills in the example's own issuer and first audience. */
type Build = (iss: string, aud: string) => Provider;

const PROVIDERS: Record<string, Build> = {
  clerk: (iss) => {
    const session = { ...times, nbf: NOW - 35, iss, sid: 'sess_2a', sub: 'user_2a', v: 2 };
    const app = 'https://app.example.com';
    return {
      key: () => rsa,
      good: {
        'a bearer session token with a listed azp': { claims: { ...session, azp: app } },
        'the __session cookie on GET': {
          claims: { ...session, azp: app },
          send: (t) => request('GET', '/api/orders', { cookie: `__client_uat=1; __session=${t}` }),
        },
        'the __session cookie on POST from the app origin': {
          claims: { ...session, azp: app },
          send: (t) => request('POST', '/api/orders', { cookie: `__session=${t}`, origin: app }),
        },
      },
      bad: {
        'no azp': { claims: session },
        'an azp not listed': { claims: { ...session, azp: 'https://evil.example' } },
        'the cookie on POST from another origin': {
          claims: { ...session, azp: app },
          send: (t) =>
            request('POST', '/api/orders', {
              cookie: `__session=${t}`,
              origin: 'https://evil.example',
            }),
        },
      },
    };
  },
  auth0: (iss, aud) => {
    const access = {
      iss,
      sub: 'auth0|64f0',
      aud: [aud, `${iss}userinfo`],
      ...times,
      azp: 'Xy1',
      scope: 'openid read:orders',
    };
    return {
      key: () => rsa,
      good: {
        'an access token with the API and userinfo audiences': { claims: access },
        'an access token with a string aud': { claims: { ...access, aud } },
        'an RFC 9068 at+jwt access token': {
          claims: { ...access, client_id: 'Xy1', jti: 'j' },
          header: { typ: 'at+jwt' },
        },
      },
      bad: {
        'an iss without the trailing slash': { claims: { ...access, iss: iss.replace(/\/$/, '') } },
        'only the userinfo audience': { claims: { ...access, aud: `${iss}userinfo` } },
      },
    };
  },
  cognito: (iss) => {
    const access = {
      sub: 'a1b2',
      iss,
      client_id: '1example23456789',
      origin_jti: 'o',
      event_id: 'e',
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      auth_time: NOW - 30,
      ...times,
      jti: 'j',
      username: 'u',
    };
    return {
      key: () => rsa,
      good: {
        'an access token of the app client (no aud)': {
          claims: access,
          header: { typ: undefined },
        },
      },
      bad: {
        'another app client': { claims: { ...access, client_id: '2other' } },
        'an ID token of the app client': {
          claims: { ...access, token_use: 'id', client_id: undefined, aud: '1example23456789' },
        },
        'no token_use': { claims: { ...access, token_use: undefined } },
        'token_use in another case': { claims: { ...access, token_use: 'Access' } },
      },
    };
  },
  entra: (template, aud) => {
    const issOf = (tid: string) => template.replace('{tenantid}', tid);
    const access = {
      aud,
      iss: issOf(TENANT),
      ...times,
      nbf: NOW - 30,
      azp: 'c1',
      name: 'n',
      oid: 'o',
      scp: 'access_as_user',
      sub: 's',
      tid: TENANT,
      ver: template.endsWith('/v2.0') ? '2.0' : '1.0',
    };
    return {
      key: () => rsaNoAlg,
      good: {
        'an access token of a listed tenant': {
          claims: access,
          header: { x5t: 'provider-noalg' },
        },
      },
      bad: {
        'another tenant': { claims: { ...access, iss: issOf(OTHER_TENANT), tid: OTHER_TENANT } },
        'a tid other than the GUID in iss': { claims: { ...access, tid: OTHER_TENANT } },
        'an iss that literally holds the template': { claims: { ...access, iss: template } },
        'a Graph token with a nonce header': {
          claims: { ...access, aud: '00000003-0000-0000-c000-000000000000' },
          header: { nonce: 'n0' },
        },
      },
    };
  },
  okta: (iss, aud) => {
    const access = {
      ver: 1,
      jti: 'AT.1',
      iss,
      aud,
      ...times,
      cid: '0oa1',
      uid: '00u1',
      scp: ['openid', 'orders'],
      auth_time: NOW - 60,
      sub: 'a@example.com',
    };
    return {
      key: () => rsa,
      good: {
        'an access token with scp as an array': { claims: access, header: { typ: undefined } },
      },
      bad: {
        'another authorization server': {
          claims: { ...access, iss: iss.replace(/default$/, 'other') },
        },
        'the org authorization server': { claims: { ...access, iss: new URL(iss).origin } },
        'another audience': { claims: { ...access, aud: 'api://other' } },
      },
    };
  },
  google: (iss, aud) => {
    const id = {
      iss,
      azp: aud,
      aud,
      sub: '1100',
      email: 'a@example.com',
      email_verified: true,
      at_hash: 'h',
      ...times,
    };
    return {
      key: () => rsa,
      good: {
        'an ID token with the https issuer': { claims: id },
        'an ID token with the bare issuer accounts.google.com': {
          claims: { ...id, iss: 'accounts.google.com' },
        },
      },
      bad: {
        'another client id': { claims: { ...id, aud: 'x.apps.googleusercontent.com' } },
        'an http issuer': { claims: { ...id, iss: 'http://accounts.google.com' } },
      },
    };
  },
  keycloak: (iss, aud) => {
    const access = {
      ...times,
      auth_time: NOW - 60,
      jti: 'j',
      iss,
      aud: [aud, 'account'],
      sub: 's',
      typ: 'Bearer',
      azp: 'web',
      realm_access: { roles: ['user'] },
      scope: 'openid email',
      sid: 's',
      preferred_username: 'u',
    };
    return {
      key: () => rsa,
      good: { 'an access token whose claims carry typ Bearer': { claims: access } },
      bad: {
        'the default account audience only': { claims: { ...access, aud: 'account' } },
        'another realm': { claims: { ...access, iss: iss.replace(/main$/, 'other') } },
      },
    };
  },
  supabase: (iss, aud) => {
    const user = {
      iss,
      sub: 'uuid',
      aud,
      ...times,
      email: 'a@example.com',
      role: 'authenticated',
      aal: 'aal1',
      session_id: 's',
      is_anonymous: false,
    };
    return {
      key: () => ec,
      good: { 'an ES256 user token': { claims: user } },
      bad: {
        'an anon-role token without aud': { claims: { ...user, aud: undefined, role: 'anon' } },
      },
    };
  },
  'cloudflare-access': (iss, aud) => {
    const app = {
      aud: [aud],
      email: 'a@example.com',
      ...times,
      nbf: NOW - 30,
      iss,
      type: 'app',
      identity_nonce: 'n',
      sub: 'uuid',
      country: 'NL',
    };
    const viaAccess =
      (extra: Record<string, string> = {}) =>
      (t: string) =>
        request('GET', '/api/orders', { 'cf-access-jwt-assertion': t, ...extra });
    return {
      key: () => rsa,
      good: {
        'the assertion header': { claims: app, header: { typ: undefined }, send: viaAccess() },
        'the assertion header beside the CF_Authorization cookie': {
          claims: app,
          send: (t) => viaAccess({ cookie: `CF_Authorization=${t}` })(t),
        },
        "the assertion header beside the application's own Basic credentials": {
          claims: app,
          send: viaAccess({ authorization: 'Basic dXNlcjpwYXNz' }),
        },
        'a service token (empty sub)': {
          claims: { ...app, sub: '', email: undefined, common_name: 'svc.access' },
          send: viaAccess(),
        },
      },
      bad: {
        'another application': { claims: { ...app, aud: ['other-tag'] }, send: viaAccess() },
        'the token in Authorization only': { claims: app },
      },
    };
  },
};

function gate(example: Example, key: TestKey) {
  const { issuer, credentials } = example;
  return setup(
    { issuers: [issuer], ...(credentials ? { credentials } : {}) },
    { [issuer.issuer]: jwks(key) },
  ).authorizer;
}

async function tokenOf(key: TestKey, shape: Shape): Promise<string> {
  const header: Record<string, unknown> = {
    alg: key.alg,
    kid: key.kid,
    typ: 'JWT',
    ...shape.header,
  };
  const claims = { ...shape.claims };
  for (const object of [header, claims])
    for (const [name, value] of Object.entries(object))
      if (value === undefined) delete object[name];
  return signRaw(key, header, claims);
}

it('finds a README example for every provider shape here', () => {
  const documented = new Set(examples.map(([, example]) => example.issuer.provider));
  for (const provider of Object.keys(PROVIDERS)) expect(documented, provider).toContain(provider);
});

describe.each(examples)('the README example for %s', (_, example) => {
  const provider = example.issuer.provider as string;
  const build = () => {
    const { issuer } = example;
    const shapes = PROVIDERS[provider];
    if (!shapes) throw new Error(`no token shapes for provider ${provider}`);
    return shapes(issuer.issuer, issuer.audiences?.[0] ?? '');
  };
  const cases = (which: 'good' | 'bad') =>
    Object.keys(PROVIDERS[provider]!('https://issuer.example/realms/main/default/', 'aud')[which]);

  it.each(cases('good'))('allows %s', async (name) => {
    const shape = build().good[name]!;
    const key = build().key();
    const token = await tokenOf(key, shape);
    const decision = await gate(example, key).authorize((shape.send ?? bearerGet)(token));
    expect(decision.outcome === 'deny' ? decision.error.code : decision.outcome).toBe('allow');
  });

  it.each(cases('bad'))('refuses %s', async (name) => {
    const shape = build().bad[name]!;
    const key = build().key();
    const token = await tokenOf(key, shape);
    const decision = await gate(example, key).authorize((shape.send ?? bearerGet)(token));
    expect(decision.outcome).toBe('deny');
  });

  it('refuses an HS256 token keyed with the published key, and one signed by another key', async () => {
    const shape = Object.values(build().good)[0]!;
    const key = build().key();
    const authorizer = gate(example, key);
    const send = shape.send ?? bearerGet;
    const confused = await hmacToken(
      { alg: 'HS256', kid: key.kid, typ: 'JWT' },
      shape.claims,
      new TextEncoder().encode(JSON.stringify(key.publicJwk)),
    );
    const stranger = await makeKey('ES256', key.kid);
    for (const token of [confused, await tokenOf(stranger, shape)]) {
      const decision = await authorizer.authorize(send(token));
      expect(decision.outcome).toBe('deny');
    }
  });
});
