/**
 * Property: whatever arrives (random strings, mutated valid tokens, signed tokens with random
 * headers and claims, random Authorization and Cookie headers), the only outcomes are a
 * decision or an AuthError whose code is one of ours, and no error message repeats the token.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTH_ERROR_CODES, AuthError } from '../../shared/errors.ts';
import { b64url, makeKey, type TestKey } from '../fixtures/keys.ts';
import { request } from './fixtures/setup.ts';
import { signRaw } from './fixtures/sign.ts';
import { AUD, ISS, NOW, standard, validClaims } from './fixtures/tokens.ts';

let key: TestKey;
let valid: string;
beforeAll(async () => {
  key = await makeKey('ES256', 'k1');
  valid = await signRaw(
    key,
    { alg: 'ES256', kid: 'k1', typ: 'JWT' },
    validClaims({ scope: 'read' }),
  );
});

const gate = () =>
  standard(
    [key],
    {},
    {
      credentials: { bearer: true, cookie: '__session' },
      routes: [
        { path: '/health', public: true },
        { path: '/admin/**', scopes: ['admin'] },
      ],
    },
  );

/** Checks one verification outcome. */
async function expectOurs(promise: Promise<unknown>, token: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    const authError = error as AuthError;
    expect(AUTH_ERROR_CODES).toContain(authError.code);
    if (token.length > 16) expect(authError.message).not.toContain(token);
  }
}

/**
 * JSON values that no text conversion survives: `String()`, a template or `join` of an object
 * whose own `toString` and `valueOf` are not functions throws a TypeError.
 */
const opaque = () => JSON.parse('{"toString":false,"valueOf":{}}');

const anyValue = fc.oneof(
  fc.jsonValue(),
  fc.double(),
  fc.constantFrom(Number.POSITIVE_INFINITY, Number.NaN, -0, 1e19, -1, NOW, NOW + 60.5),
  fc.constantFrom(opaque(), [opaque()], { nested: opaque() }),
);

const header = fc.record(
  {
    alg: fc.oneof(
      fc.constantFrom('ES256', 'ES384', 'RS256', 'PS256', 'EdDSA', 'HS256', 'none', 'NONE', ''),
      anyValue,
    ),
    kid: fc.oneof(fc.constant('k1'), fc.string(), anyValue),
    typ: fc.oneof(fc.constantFrom('JWT', 'at+jwt', 'application/jwt'), anyValue),
    crit: fc.oneof(fc.constant(['b64']), fc.constant([]), anyValue),
    jwk: anyValue,
    jku: fc.constantFrom('https://evil.example/jwks', 'http://127.0.0.1/'),
    b64: fc.boolean(),
    nonce: fc.string(),
  },
  { requiredKeys: [] },
);

const claims = fc.record(
  {
    iss: fc.oneof(fc.constant(ISS), fc.constantFrom('https://issuer.example', ''), anyValue),
    aud: fc.oneof(fc.constant(AUD), fc.array(fc.oneof(fc.constant(AUD), fc.string())), anyValue),
    sub: fc.oneof(fc.string(), anyValue),
    exp: fc.oneof(fc.integer({ min: NOW - 100, max: NOW + 100 }), anyValue),
    nbf: fc.oneof(fc.integer({ min: NOW - 100, max: NOW + 100 }), anyValue),
    iat: fc.oneof(fc.integer({ min: NOW - 100, max: NOW + 100 }), anyValue),
    scope: fc.oneof(fc.constantFrom('read', 'admin read'), anyValue),
    scp: anyValue,
    azp: anyValue,
  },
  { requiredKeys: [] },
);

/** A mutation of a valid token: one character, a segment swap, truncation, extra dots. */
const mutation = fc.oneof(
  fc
    .tuple(fc.nat(), fc.constantFrom(...'AZaz09-_.=+/ !~%\u00e9'))
    .map(([at, ch]) => (t: string) => {
      const i = at % t.length;
      return t.slice(0, i) + ch + t.slice(i + 1);
    }),
  fc.nat().map((n) => (t: string) => t.slice(0, n % t.length)),
  fc.constant((t: string) => t.split('.').reverse().join('.')),
  fc.constant((t: string) => `${t}.${t}`),
  fc.constant((t: string) => `${t}.`),
  fc
    .jsonValue()
    .map((v) => (t: string) => `${b64url(JSON.stringify(v))}.${t.split('.').slice(1).join('.')}`),
  fc
    .jsonValue()
    .map(
      (v) => (t: string) => `${t.split('.')[0]}.${b64url(JSON.stringify(v))}.${t.split('.')[2]}`,
    ),
);

describe('only our outcomes, whatever the input', () => {
  it('answers random strings with an AuthError code', async () => {
    const { authorizer } = gate();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.stringMatching(/^[A-Za-z0-9_\-.]{0,300}$/),
        ),
        async (token) => {
          await expectOurs(authorizer.verifyToken(token), token);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers mutated valid tokens with an AuthError code or, rarely, the unchanged identity', async () => {
    const { authorizer } = gate();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const token = mutations.reduce((t, m) => (t === '' ? t : m(t)), valid);
        try {
          const identity = await authorizer.verifyToken(token);
          // Only a mutation that left the token as it was (or in padding bits) can verify.
          expect(identity.subject).toBe('user-1');
        } catch (error) {
          expect(error).toBeInstanceOf(AuthError);
          expect(AUTH_ERROR_CODES).toContain((error as AuthError).code);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('answers correctly signed tokens with random headers and claims with an AuthError code or a valid identity', async () => {
    const { authorizer } = gate();
    await fc.assert(
      fc.asyncProperty(header, claims, async (h, c) => {
        const token = await signRaw(key, h, c);
        try {
          const identity = await authorizer.verifyToken(token);
          // Whatever was accepted must really satisfy the policy.
          expect(identity.payload.iss).toBe(ISS);
          expect(h.alg).toBe('ES256');
          expect(h).not.toHaveProperty('crit');
          expect(h).not.toHaveProperty('jwk');
          expect(h).not.toHaveProperty('jku');
          expect(typeof identity.payload.exp).toBe('number');
          expect(identity.payload.exp! + 30).toBeGreaterThan(NOW);
        } catch (error) {
          expect(error).toBeInstanceOf(AuthError);
          expect(AUTH_ERROR_CODES).toContain((error as AuthError).code);
          expect((error as AuthError).message).not.toContain(token);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('answers random requests with a decision and never throws', async () => {
    const { authorizer } = gate();
    const authorization = fc.oneof(
      fc.string(),
      fc
        .constantFrom('Bearer ', 'bearer\t', 'Basic x, Bearer ', 'Token ', '', 'Bearer  ')
        .map((p) => `${p}${valid}`),
      fc.tuple(fc.constantFrom('Bearer ', 'BEARER   '), fc.string()).map(([p, s]) => p + s),
    );
    const headers = fc.record(
      {
        authorization,
        cookie: fc.oneof(
          fc.string(),
          fc.constant(`__session=${valid}`),
          fc.string().map((s) => `__session=${s}; __session=${valid}`),
        ),
        origin: fc.oneof(fc.constantFrom('https://evil.example', 'null'), fc.string()),
        referer: fc.string(),
        'access-control-request-method': fc.constantFrom('GET', 'POST'),
      },
      { requiredKeys: [] },
    );
    const method = fc.constantFrom('GET', 'POST', 'OPTIONS', 'DELETE', 'HEAD', 'get', 'X');
    const path = fc.oneof(
      fc.constantFrom('/health', '/admin/x', '//admin', '/%61dmin/x', '/a/../admin'),
      fc.string().map((s) => `/${s}`),
    );
    await fc.assert(
      fc.asyncProperty(method, path, headers, async (m, p, h) => {
        const decision = await authorizer.authorize(
          request(m, p.replace(/\?/g, ''), h as Record<string, string>),
        );
        expect(['allow', 'deny', 'public', 'preflight']).toContain(decision.outcome);
        if (decision.outcome === 'deny') {
          expect(decision.error).toBeInstanceOf(AuthError);
          expect(AUTH_ERROR_CODES).toContain(decision.error.code);
          expect(decision.error.message).not.toContain(valid);
        }
      }),
      { numRuns: 400 },
    );
  });
});
