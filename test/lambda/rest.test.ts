/**
 * The bundle behind a REST API: the real TOKEN and REQUEST events with minted tokens, answered
 * with the documented IAM shape. Covers C18 through the TOKEN event, C20 through the cached
 * policy, and C22 (exactly `Unauthorized`, Deny with a principal, or another error).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { b64url, makeKey, mint, rawToken, type TestKey } from '../fixtures/keys.ts';
import {
  captureLogs,
  coldStart,
  type Handler,
  outcome,
  readEvent,
  requestEvent,
  type Scene,
  startScene,
  tokenEvent,
} from './harness.ts';
import { allows, evaluate } from './iam.ts';
import { expectFailClosed, expectIamAnswer, expectUnauthorized } from './shapes.ts';
import { signWithWeakKey, weakRsaKey } from './weak-key.ts';

const ROUTES = [
  { method: 'GET', path: '/users/*', scopes: ['users:read'] },
  { method: 'POST', path: '/orders', scopes: ['orders:write'] },
];
const API = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod';
const USERS_42 = `${API}/GET/users/42`;
const ORDERS = `${API}/POST/orders`;

let scene: Scene;
let weakKey: TestKey;
let handler: Handler;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  weakKey = await weakRsaKey('weak-1024');
  scene = await startScene([weakKey]);
  logs = captureLogs();
  handler = await coldStart(scene.env({ AUTH_CONFIG: { routes: ROUTES } }));
});
afterEach(() => {
  logs.lines.length = 0;
});
afterAll(async () => {
  logs.restore();
  await scene.close();
});

describe('REST TOKEN authorizer', () => {
  it('answers the real TOKEN event with the documented IAM shape for its own API', async () => {
    const event = tokenEvent(`Bearer ${await scene.token()}`);
    const arn = readEvent('token').methodArn as string;

    const answer = expectIamAnswer((await outcome(handler, event)).value, arn);

    expect(answer.principalId).toBe('user-1');
    expect(answer.context).toMatchObject({ sub: 'user-1', iss: scene.issuer });
    // The event's ARN is a console test invocation (stage `*`); the policy keeps its API.
    expect(answer.policyDocument.Statement.every((s) => s.Resource.includes(':ymy8tbxw7b/'))).toBe(
      true,
    );
  });

  it('lets a cached policy answer POST /orders after it was produced for GET /users/42 (C20)', async () => {
    const token = await scene.token({ scope: 'users:read orders:write' });

    const answer = expectIamAnswer(
      (await outcome(handler, tokenEvent(`Bearer ${token}`, USERS_42))).value,
      USERS_42,
    );

    expect(allows(answer.policyDocument, USERS_42)).toBe(true);
    expect(allows(answer.policyDocument, ORDERS)).toBe(true);
    expect(answer.policyDocument.Statement.map((s) => s.Resource)).not.toContain(USERS_42);
    expect(answer.policyDocument.Statement[0]?.Resource).toBe(`${API}/*/*`);
    // Never another API or account.
    expect(allows(answer.policyDocument, USERS_42.replace('abcdef1234', 'otherapi99'))).toBe(false);
    expect(allows(answer.policyDocument, USERS_42.replace('123456789012', '210987654321'))).toBe(
      false,
    );
  });

  it('denies POST /orders from the policy cached for GET /users/42 when the scope is missing', async () => {
    const token = await scene.token({ scope: 'users:read' });

    const answer = expectIamAnswer(
      (await outcome(handler, tokenEvent(`Bearer ${token}`, USERS_42))).value,
      USERS_42,
    );

    expect(allows(answer.policyDocument, USERS_42)).toBe(true);
    expect(evaluate(answer.policyDocument, ORDERS)).toBe('explicit-deny');
  });

  it('allows the request in hand and its route siblings when a later catch-all needs a scope the token lacks', async () => {
    const strict = await coldStart(
      scene.env({ AUTH_CONFIG: { routes: [...ROUTES, { path: '/**', scopes: ['api'] }] } }),
    );
    const token = await scene.token({ scope: 'users:read orders:write' });

    const answer = expectIamAnswer(
      (await outcome(strict, tokenEvent(`Bearer ${token}`, USERS_42))).value,
      USERS_42,
    );

    expect(logs.decisions()[0]).toMatchObject({ outcome: 'allow', code: 'ok' });
    expect(allows(answer.policyDocument, USERS_42)).toBe(true);
    expect(allows(answer.policyDocument, `${API}/GET/users/7`)).toBe(true);
    expect(allows(answer.policyDocument, ORDERS)).toBe(true);
    // The rest of the API falls to the catch-all, which this token does not meet.
    expect(allows(answer.policyDocument, `${API}/GET/users/42/secrets`)).toBe(false);
    expect(allows(answer.policyDocument, `${API}/GET/admin`)).toBe(false);
  });

  it('answers a valid token without the route scope with a Deny and a principal (C22)', async () => {
    const token = await scene.token({ scope: 'users:read' });

    const answer = expectIamAnswer(
      (await outcome(handler, tokenEvent(`Bearer ${token}`, ORDERS))).value,
      ORDERS,
    );

    expect(answer.principalId).toBe('user-1');
    expect(evaluate(answer.policyDocument, ORDERS)).toBe('explicit-deny');
    const [line] = logs.decisions();
    expect(line).toMatchObject({ outcome: 'deny', code: 'insufficient_scope', event: 'token' });
  });

  describe('C18: authorizationToken goes through the same credential parser', () => {
    const accepted: [string, (t: string) => string][] = [
      ['a lower-case scheme', (t) => `bearer ${t}`],
      ['an upper-case scheme and several spaces', (t) => `BEARER   ${t}`],
      ['a trailing space', (t) => `Bearer ${t} `],
    ];
    for (const [label, value] of accepted) {
      it(`accepts ${label}`, async () => {
        const token = await scene.token();

        expectIamAnswer(
          (await outcome(handler, tokenEvent(value(token), USERS_42))).value,
          USERS_42,
        );
      });
    }

    const refused: [string, (t: string) => string][] = [
      ['Basic and Bearer joined in one value', (t) => `Basic dXNlcjpw, Bearer ${t}`],
      ['two bearer tokens', (t) => `Bearer ${t}, Bearer ${t}`],
      ['the Token scheme', (t) => `Token ${t}`],
      ['a bare token', (t) => t],
      ['an empty value', () => ''],
    ];
    for (const [label, value] of refused) {
      it(`refuses ${label} with exactly Unauthorized`, async () => {
        const token = await scene.token();

        expectUnauthorized(await outcome(handler, tokenEvent(value(token), USERS_42)));
      });
    }
  });
});

describe('C22: every bad token is exactly Unauthorized', () => {
  const now = Date.now();
  const cases: [string, () => Promise<string>][] = [
    ['an expired token', () => scene.token({}, { nowMs: now - 7_200_000 })],
    ['a token that is not yet valid', () => scene.token({ nbf: Math.floor(now / 1000) + 3600 })],
    ['a token for another audience', () => scene.token({ aud: 'https://other.example.com' })],
    ['a token from another issuer', () => scene.token({ iss: 'https://evil.example.com' })],
    [
      'a token with a bad signature',
      async () => {
        const impostor = await makeKey('RS256', 'lambda-k1');
        return mint(impostor, { iss: scene.issuer, aud: scene.audience, sub: 'user-1' });
      },
    ],
    ['abc', async () => 'abc'],
    ['alg none with an empty signature', async () => rawToken({ alg: 'none' }, claims())],
    [
      'HS256 keyed with the public key',
      async () => rawToken({ alg: 'HS256', kid: 'lambda-k1' }, claims(), 'c2lnbmF0dXJl'),
    ],
    ['a numeric kid', async () => rawToken({ alg: 'RS256', kid: 42 }, claims(), 'c2ln')],
    ['a five-part JWE', async () => 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d'],
    ['segments that are not JSON', async () => `${b64url('not json')}.${b64url('nor this')}.c2ln`],
    [
      'a payload that is a JSON array',
      async () => rawToken({ alg: 'RS256', kid: 'lambda-k1' }, [1]),
    ],
    ['a token signed by a 1024-bit key in the set', () => signWithWeakKey(weakKey, claims())],
  ];
  function claims() {
    const iat = Math.floor(Date.now() / 1000);
    return { iss: scene.issuer, aud: scene.audience, sub: 'user-1', iat, exp: iat + 3600 };
  }

  for (const [label, make] of cases) {
    it(`throws Unauthorized for ${label}, never a policy, null or an HTTP response`, async () => {
      const token = await make();

      const result = await outcome(handler, tokenEvent(`Bearer ${token}`, USERS_42));

      expectUnauthorized(result);
      const [line] = logs.decisions();
      expect(line).toMatchObject({ outcome: 'unauthorized', event: 'token' });
      expect(typeof line?.code).toBe('string');
      expect(logs.text()).not.toContain(token.length > 3 ? token : '\u0000');
    });
  }

  it('throws Unauthorized for a TOKEN event without authorizationToken', async () => {
    expectUnauthorized(await outcome(handler, tokenEvent(undefined, USERS_42)));
  });
});

describe('REST REQUEST authorizer', () => {
  const arn = readEvent('request').methodArn as string;

  it('reads the Authorization header case-insensitively from the real REQUEST event', async () => {
    const token = await scene.token();

    for (const name of ['Authorization', 'authorization', 'AUTHORIZATION']) {
      const answer = expectIamAnswer(
        (await outcome(handler, requestEvent({ [name]: `Bearer ${token}` }))).value,
        arn,
      );
      expect(answer.principalId).toBe('user-1');
    }
  });

  it('refuses two Authorization header lines instead of picking one', async () => {
    const token = await scene.token();
    const event = requestEvent({ Authorization: ['Basic dXNlcjpw', `Bearer ${token}`] });

    expectUnauthorized(await outcome(handler, event));
  });

  it('denies the request in hand by name when a method override names a method its rule refuses', async () => {
    const token = await scene.token();
    const post = `${API}/POST/users/42`;
    const plain = requestEvent({ Authorization: `Bearer ${token}` }, post);
    const overridden = requestEvent(
      { Authorization: `Bearer ${token}`, 'X-HTTP-Method-Override': 'GET' },
      post,
    );

    expect(
      allows(expectIamAnswer((await outcome(handler, plain)).value, post).policyDocument, post),
    ).toBe(true);
    const answer = expectIamAnswer((await outcome(handler, overridden)).value, post);
    expect(evaluate(answer.policyDocument, post)).toBe('explicit-deny');
  });

  it('throws Unauthorized when the request carries no credential', async () => {
    expectUnauthorized(await outcome(handler, readEvent('request')));
  });

  it('fails closed with another error for an event without a usable ARN', async () => {
    const token = await scene.token();
    const event = requestEvent({ Authorization: `Bearer ${token}` });
    event.methodArn = 'arn:aws:lambda:us-east-1:123456789012:function:x';

    expectFailClosed(await outcome(handler, event));
    expect(logs.decisions()[0]).toMatchObject({ outcome: 'error', code: 'event_invalid' });
  });
});

describe('decision log', () => {
  it('writes one JSON line per decision with outcome, code, issuer, kid, route, cache and duration', async () => {
    const token = await scene.token({ scope: 'users:read' });

    await outcome(handler, tokenEvent(`Bearer ${token}`, USERS_42));
    await outcome(handler, tokenEvent(`Bearer ${token}`, USERS_42));

    const decisions = logs.decisions();
    expect(decisions).toHaveLength(2);
    expect(decisions[0]).toMatchObject({
      outcome: 'allow',
      code: 'ok',
      issuer: scene.issuer,
      kid: 'lambda-k1',
      route: 'GET /users/42',
      event: 'token',
      response: 'iam',
    });
    expect(typeof decisions[0]?.durationMs).toBe('number');
    expect(typeof decisions[0]?.cache).toBe('string');
    // The second invocation is served from the verified-token cache.
    expect(decisions[1]?.cache).toBe('token');
    const [, , signature] = token.split('.');
    expect(logs.text()).not.toContain(token);
    expect(logs.text()).not.toContain(signature);
  });
});

describe('REST TOKEN authorizer on a bare-token header', () => {
  it('reads authorizationToken as the configured header when Bearer is off', async () => {
    const bare = await coldStart(
      scene.env({
        AUTH_CONFIG: { credentials: { bearer: false, header: 'Cf-Access-Jwt-Assertion' } },
      }),
    );
    const token = await scene.token();

    expectIamAnswer((await outcome(bare, tokenEvent(token, USERS_42))).value, USERS_42);
    expectUnauthorized(await outcome(bare, tokenEvent(`Bearer ${token}`, USERS_42)));
  });
});

describe('REST REQUEST authorizer with a query credential', () => {
  const arn = readEvent('request').methodArn as string;

  it('reads the token from the route query parameter and refuses it given twice', async () => {
    const withQuery = await coldStart(
      scene.env({
        AUTH_CONFIG: { routes: [{ path: '/request', queryParameter: 'access_token' }] },
      }),
    );
    const token = await scene.token();
    const once = readEvent('request');
    once.queryStringParameters = { access_token: token };
    once.multiValueQueryStringParameters = { access_token: [token] };
    const twice = readEvent('request');
    twice.queryStringParameters = { access_token: token };
    twice.multiValueQueryStringParameters = { access_token: [token, token] };

    expectIamAnswer((await outcome(withQuery, once)).value, arn);
    expectUnauthorized(await outcome(withQuery, twice));
  });
});
