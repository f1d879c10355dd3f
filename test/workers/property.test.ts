/**
 * A property of the whole gate, over random and mutated requests in workerd: it never answers
 * with a 5xx (the configuration is valid and the provider up), and a request reaches the origin
 * on a protected route only with an unaltered valid token that meets the route's requirement,
 * never with identity headers the client chose.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mint, rawToken } from '../fixtures/keys.ts';
import { APP_ORIGIN, AUDIENCE, ISSUER, type Scene, startScene } from './setup.ts';

let scene: Scene;
let valid: string;
let admin: string;
let invalid: string[];
beforeAll(async () => {
  scene = await startScene();
  valid = await scene.token({ scope: 'read' });
  admin = await scene.token({ scope: 'read admin:write' });
  invalid = [
    await mint(scene.key, { iss: ISSUER, aud: AUDIENCE, sub: 'u' }, { nowMs: Date.now() - 9e6 }),
    await mint(scene.key, { iss: ISSUER, aud: 'api://other', sub: 'u' }),
    await mint(scene.key, { iss: 'https://evil.example/', aud: AUDIENCE, sub: 'u' }),
    rawToken({ alg: 'none', kid: 'k1' }, { iss: ISSUER, aud: AUDIENCE, sub: 'u', exp: 9e9 }),
    rawToken({ alg: 'HS256', kid: 'k1' }, { iss: ISSUER, aud: AUDIENCE, exp: 9e9 }, 'c2ln'),
  ];
});
afterAll(async () => {
  await scene?.close();
});

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * A token changed so that its bytes differ: a character replaced inside a segment (never the
 * last one of a segment, whose spare bits may not count), a character removed, the token cut,
 * or two segments swapped.
 */
const mutated = (token: string) =>
  fc
    .record({
      kind: fc.constantFrom('replace', 'remove', 'cut', 'swap', 'append'),
      at: fc.nat(),
      char: fc.constantFrom(...BASE64URL, '.', '=', '+', '/', '~'),
    })
    .map(({ kind, at, char }) => {
      const i = at % token.length;
      switch (kind) {
        case 'replace': {
          const lastOfSegment = token[i + 1] === '.' || i === token.length - 1;
          if (token[i] === '.' || lastOfSegment || token[i] === char) return `${token}x`;
          return token.slice(0, i) + char + token.slice(i + 1);
        }
        case 'remove':
          return token.slice(0, i) + token.slice(i + 1);
        case 'cut':
          return token.slice(0, i);
        case 'swap': {
          const [h, p, s] = token.split('.');
          return [p, h, s].join('.');
        }
        default:
          return `${token}.${char}`;
      }
    });

/** What the request carries, and whether it is a credential the gate must accept. */
type Credential = { header?: [string, string]; acceptable: 'none' | 'valid' | 'admin' };

const credential = (): fc.Arbitrary<Credential> =>
  fc.oneof(
    fc.constant<Credential>({ acceptable: 'none' }),
    fc
      .tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER'), fc.constantFrom(' ', '  '))
      .chain(([scheme, space]) =>
        fc.constantFrom<Credential>(
          { header: ['Authorization', `${scheme}${space}${valid}`], acceptable: 'valid' },
          { header: ['Authorization', `${scheme}${space}${admin}`], acceptable: 'admin' },
        ),
      ),
    fc
      .constantFrom(...invalid)
      .map((t): Credential => ({ header: ['Authorization', `Bearer ${t}`], acceptable: 'none' })),
    fc
      .constantFrom(valid, admin)
      .chain(mutated)
      .map((t): Credential => ({ header: ['Authorization', `Bearer ${t}`], acceptable: 'none' })),
    fc.constantFrom<Credential>(
      { header: ['Authorization', `Bearer ${valid}, Bearer ${valid}`], acceptable: 'none' },
      { header: ['Authorization', `Token ${valid}`], acceptable: 'none' },
      { header: ['Authorization', valid], acceptable: 'none' },
      { header: ['Cookie', `__session=${admin}`], acceptable: 'none' },
      { header: ['Authorization', 'Basic dXNlcjpw'], acceptable: 'none' },
    ),
    fc
      .string({ unit: fc.constantFrom(...BASE64URL, '.', ' ', ',', '=', '"') })
      .map((t): Credential => ({ header: ['Authorization', `Bearer ${t}`], acceptable: 'none' })),
  );

const segment = fc.oneof(
  fc.constantFrom('health', 'public', 'admin', 'orders', '..', '.', '%2e%2e', '%2F', '', 'HEALTH'),
  fc.string({ unit: fc.constantFrom(...'abcxyz019-._~%'), maxLength: 8 }),
);

/** Random requests; built after the tokens exist. */
const requests = () =>
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    path: fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
    query: fc.option(fc.constantFrom('?a=1', '?access_token=x', '?x=%00'), { nil: '' }),
    credential: credential(),
    origin: fc.option(fc.constantFrom(APP_ORIGIN, 'https://evil.example', 'null'), {
      nil: undefined,
    }),
    preflight: fc.boolean(),
    forged: fc.boolean(),
  });

/**
 * The first non-empty path segment, percent-decoded where possible: the core matches routes on
 * segments as an origin would see them (empty segments dropped, unreserved escapes decoded), so
 * the oracle only calls a path protected when no reading of it could be a public one.
 */
function firstSegment(pathname: string): string {
  const first = pathname.split('/').find((segment) => segment !== '') ?? '';
  try {
    return decodeURIComponent(first);
  } catch {
    return first;
  }
}

let counter = 0;

describe('gate property', () => {
  it('never answers 5xx and never lets an unverified request reach a protected route', async () => {
    await fc.assert(
      fc.asyncProperty(requests(), async (r) => {
        const id = `prop-${++counter}`;
        const headers: [string, string][] = [['x-test-id', id]];
        if (r.credential.header) headers.push(r.credential.header);
        if (r.origin !== undefined) headers.push(['Origin', r.origin]);
        if (r.preflight) headers.push(['Access-Control-Request-Method', 'DELETE']);
        if (r.forged) headers.push(['X-Auth-Subject', 'forged-admin']);

        const answer = await scene.gate.fetch(`${r.path}${r.query}`, { method: r.method, headers });

        expect(answer.status).toBeLessThan(500);
        if (answer.status === 401) {
          expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="gate-test"/);
        }

        const arrived = scene.origin.withId(id);
        const pathname = new URL(`https://gate.test${r.path}`).pathname;
        const maybePublic = /^(health|public)/i.test(firstSegment(pathname));
        const preflight = r.method === 'OPTIONS' && r.origin !== undefined && r.preflight;
        if (arrived.length > 0 && !maybePublic && !preflight) {
          expect(r.credential.acceptable).not.toBe('none');
          if (/^\/admin(\/|$)/.test(pathname)) expect(r.credential.acceptable).toBe('admin');
          expect(arrived[0]?.headers['x-auth-subject']).toBe('user-1');
        }
        for (const seen of arrived) {
          expect(seen.headers['x-auth-subject']).not.toBe('forged-admin');
        }
      }),
      { numRuns: 200 },
    );

    // Two hundred requests of every shape later, no signature or payload reached the log.
    const logged = scene.gate.output.text();
    for (const token of [valid, admin, ...invalid]) {
      const [, payload, signature] = token.split('.');
      expect(logged).not.toContain(payload);
      if (signature) expect(logged).not.toContain(signature);
    }
  });
});
