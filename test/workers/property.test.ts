/**
 * A property of the whole gate, over random and mutated requests in workerd: it never answers
 * with a 5xx (the configuration is valid and the provider up), and a request reaches the origin
 * on a protected route only with an unaltered valid token that meets the route's requirement,
 * never with identity headers the client chose. Requests mix every credential source (header,
 * session cookie, query parameter), path spellings an origin may decode or fold, methods in any
 * case and method overrides; the oracle below reads them on its own, without the gate's code.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mint, rawToken } from '../fixtures/keys.ts';
import { APP_ORIGIN, AUDIENCE, authConfig, ISSUER, type Scene, startScene } from './setup.ts';

let scene: Scene;
/** Scope `read`: enough for routes that only need a valid token. */
let valid: string;
/** Every scope the routes ask for. */
let admin: string;
let invalid: string[];
beforeAll(async () => {
  scene = await startScene({
    auth: authConfig({
      credentials: { bearer: true, cookie: '__session' },
      routes: [
        { path: '/health', public: true },
        { path: '/public/**', public: true },
        { path: '/admin/**', scopes: ['admin:write'] },
        { path: '/orders/**', methods: ['POST', 'DELETE'], scopes: ['write:orders'] },
        { path: '/files/**', queryParameter: 'access_token' },
      ],
    }),
  });
  valid = await scene.token({ sub: 'user-valid', scope: 'read' });
  admin = await scene.token({ sub: 'user-admin', scope: 'read admin:write write:orders' });
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

/** A token the gate must accept: which one, so the oracle knows its subject and scopes. */
type Good = 'valid' | 'admin';
/** A token sent somewhere, and whether it is one the gate must accept as it stands. */
type Sent = { text: string; good?: Good };

/** The tokens: good ones, invalid ones, mutated good ones and random strings. */
const anyToken = (): fc.Arbitrary<Sent> =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom<Good>('valid', 'admin').map((good) => ({
        text: tokenOf(good),
        good,
      })),
    },
    fc.constantFrom(...invalid).map((text) => ({ text })),
    fc
      .constantFrom(valid, admin)
      .chain(mutated)
      .map((text) => ({ text })),
    fc.string({ unit: fc.constantFrom(...BASE64URL, '.', ' ', ',', '=', '"') }).map((text) => ({
      text,
    })),
  );

const tokenOf = (good: Good) => (good === 'valid' ? valid : admin);

/** The `Authorization` header: a good scheme and spacing, or a shape the gate must refuse. */
const authorization = (): fc.Arbitrary<{ value: string; good?: Good } | undefined> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    fc
      .tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER'), fc.constantFrom(' ', '  '), anyToken())
      .map(([scheme, space, t]) => ({ value: `${scheme}${space}${t.text}`, good: t.good })),
    fc
      .constantFrom<Good>('valid', 'admin')
      .chain((good) =>
        fc.constantFrom(
          `Bearer ${tokenOf(good)}, Bearer ${tokenOf(good)}`,
          `Token ${tokenOf(good)}`,
          tokenOf(good),
          `Basic dXNlcjpw, Bearer ${tokenOf(good)}`,
        ),
      )
      .map((value) => ({ value })),
  );

/** The `Cookie` header: the session cookie (good or not), or cookies the gate does not read. */
const cookie = (): fc.Arbitrary<{ value: string; good?: Good } | undefined> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    anyToken().map((t) => ({ value: `theme=dark; __session=${t.text}`, good: t.good })),
    fc
      .constantFrom<Good>('valid', 'admin')
      .map((good) => ({ value: `__session="${tokenOf(good)}"`, good })),
    fc
      .constantFrom<Good>('valid', 'admin')
      .chain((good) =>
        fc.constantFrom(
          `__SESSION=${tokenOf(good)}`,
          `__session=${tokenOf(good)}; __session=${invalid[0]}`,
          `session=${tokenOf(good)}`,
        ),
      )
      .map((value) => ({ value })),
  );

const segment = fc.oneof(
  fc.constantFrom('health', 'public', 'admin', 'orders', 'files', 'HEALTH', 'Admin', 'admin.'),
  fc.constantFrom('%61dmin', 'ADMIN', 'admin;x=1', 'public;', '%252e%252e', '..%2fadmin'),
  fc.constantFrom('..', '.', '%2e%2e', '%2E.', '%2F', '', 'x'),
  fc.string({ unit: fc.constantFrom(...'abcxyz019-._~%;'), maxLength: 8 }),
);

/** Random requests; built after the tokens exist. */
const requests = () =>
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    lowerMethod: fc.boolean(),
    override: fc.constantFrom<[string, string] | undefined>(
      undefined,
      undefined,
      ['X-HTTP-Method-Override', 'DELETE'],
      ['X-Method-Override', 'post'],
      ['_method', 'PUT'],
      ['_method', 'delete'],
    ),
    // A route's own prefix half of the time, so every rule is met often, then any segments.
    path: fc
      .tuple(
        fc.constantFrom('', '/files', '/admin', '/orders', '/public', '/health'),
        fc.array(segment, { minLength: 1, maxLength: 3 }),
      )
      .map(([prefix, parts]) => `${prefix}/${parts.join('/')}`),
    query: fc.constantFrom('', '?a=1', '?x=%00'),
    queryToken: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: anyToken() },
    ),
    authorization: authorization(),
    cookie: cookie(),
    origin: fc.option(fc.constantFrom(APP_ORIGIN, 'https://evil.example', 'null'), {
      nil: undefined,
    }),
    preflight: fc.boolean(),
    forged: fc.subarray(['X-Auth-Subject', 'X_Auth_Subject', 'x-auth-email', 'X-AUTH-ISSUER']),
  });

type Request = ReturnType<typeof requests> extends fc.Arbitrary<infer R> ? R : never;

/** Percent-decoding that never fails: each escape as the byte's Latin-1 character. */
function decodeBytes(text: string): string {
  return text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

/** Resolves `.` and `..` segments and drops empty ones. */
function resolve(segments: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of segments) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return out;
}

/** RFC 3986 §6.2.2.2: escapes of unreserved characters decoded, the only change it allows. */
function decodeUnreserved(segment: string): string {
  return segment.replace(/%([0-9a-f]{2})/gi, (encoded, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : encoded;
  });
}

/**
 * Two readings of the path the gate saw: as sent, normalised only as RFC 3986 allows, and as the most
 * lenient origin reads it (decoded three times, `\` a separator, path parameters and trailing
 * dots cut, lower case). The oracle holds a request to the strictest rule of either.
 */
function readings(pathname: string): string[][] {
  let text = pathname;
  for (let round = 0; round < 3; round++) text = decodeBytes(text);
  const lenient = text
    .split(/[/\\]/)
    .map((s) => s.replace(/;.*$/, ''))
    .map((s) => (s === '.' || s === '..' ? s : s.replace(/[. ]+$/, '')))
    .map((s) => s.toLowerCase());
  return [resolve(pathname.split('/').map(decodeUnreserved)), resolve(lenient)];
}

/** What a route needs, by the configuration of this file, for one reading and method. */
type Need = 'public' | 'token' | 'admin' | 'orders';
function need(segments: readonly string[], method: string): Need {
  const [first] = segments;
  if (first === 'health' && segments.length === 1) return 'public';
  if (first === 'public') return 'public';
  if (first === 'admin') return 'admin';
  if (first === 'orders' && (method === 'POST' || method === 'DELETE')) return 'orders';
  return 'token';
}

/** The subjects the origin may see for a request that needs `needs` and carries `r`. */
function allowedSubjects(r: Request, pathname: string, methods: readonly string[]): Set<string> {
  const needs = new Set<Need>();
  for (const reading of readings(pathname)) for (const m of methods) needs.add(need(reading, m));
  const covers = (good: Good) => good === 'admin' || (!needs.has('admin') && !needs.has('orders'));
  const subjects = new Set<string>();
  const add = (good: Good | undefined) => {
    if (good !== undefined && covers(good)) subjects.add(`user-${good}`);
  };

  add(r.authorization?.good);
  // A cookie counts only without an Authorization header, and on an unsafe method reading
  // only from the allowed origin (CSRF).
  const safe = methods.every((m) => m === 'GET' || m === 'HEAD' || m === 'OPTIONS');
  if (r.authorization === undefined && (safe || r.origin === APP_ORIGIN)) add(r.cookie?.good);
  // A query token counts only on the query route, and never beside an Authorization header.
  const onFiles = readings(pathname).some((reading) => reading[0] === 'files');
  if (onFiles && r.authorization === undefined) add(r.queryToken?.good);
  return subjects;
}

let counter = 0;

describe('gate property', () => {
  it('never answers 5xx and never lets an unverified request reach a protected route', async () => {
    await fc.assert(
      fc.asyncProperty(requests(), async (r) => {
        const id = `prop-${++counter}`;
        // workerd refuses a lower-case method it does not know (`patch` answers 501 before any
        // Worker runs); the ones fetch normalises reach the gate in upper case anyway.
        const method = r.lowerMethod && r.method !== 'PATCH' ? r.method.toLowerCase() : r.method;
        const headers: [string, string][] = [['x-test-id', id]];
        if (r.authorization) headers.push(['Authorization', r.authorization.value]);
        if (r.cookie) headers.push(['Cookie', r.cookie.value]);
        if (r.origin !== undefined) headers.push(['Origin', r.origin]);
        if (r.preflight) headers.push(['Access-Control-Request-Method', 'DELETE']);
        for (const name of r.forged) headers.push([name, `forged-${name}`]);
        const params = new URLSearchParams(r.query);
        if (r.queryToken) params.append('access_token', r.queryToken.text);
        if (r.override?.[0] === '_method') params.append('_method', r.override[1]);
        else if (r.override) headers.push(r.override);
        const query = params.size > 0 ? `?${params}` : '';

        const answer = await scene.gate.fetch(`${r.path}${query}`, { method, headers });

        expect(answer.status).toBeLessThan(500);
        if (answer.status >= 400) {
          expect([400, 401, 403]).toContain(answer.status);
          expect(answer.headers.get('vary')).toBe('Origin');
          const cors = answer.headers.get('access-control-allow-origin');
          expect(cors).toBe(r.origin === APP_ORIGIN ? APP_ORIGIN : null);
        }
        if (answer.status === 401) {
          expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="gate-test"/);
        }

        const arrived = scene.origin.withId(id);
        expect(arrived.length).toBeLessThanOrEqual(1);
        const seen = arrived[0];
        if (seen === undefined) return;
        for (const value of Object.values(seen.headers)) {
          expect(String(value)).not.toMatch(/^forged-/);
        }

        const pathname = new URL(`https://gate.test${r.path}`).pathname;
        const methods = [r.method.toUpperCase()];
        if (r.override) methods.push(r.override[1].toUpperCase());
        const everyReadingPublic = readings(pathname).every((reading) =>
          methods.every((m) => need(reading, m) === 'public'),
        );
        const preflight =
          r.method === 'OPTIONS' &&
          r.origin !== undefined &&
          r.preflight &&
          r.authorization === undefined &&
          r.cookie === undefined;
        const subject = seen.headers['x-auth-subject'];
        if (subject === undefined) {
          // Passed without verification: only a public route or a browser preflight may.
          expect(everyReadingPublic || preflight).toBe(true);
        } else {
          expect(allowedSubjects(r, pathname, methods)).toContain(subject);
        }
      }),
      { numRuns: 400 },
    );

    // Every request of every shape later: one decision line each, and no token in the log.
    await scene.gate.output.waitFor((line) => line.event === 'decision', counter);
    expect(scene.gate.output.events('decision')).toHaveLength(counter);
    const logged = scene.gate.output.text();
    for (const token of [valid, admin, ...invalid]) {
      const [, payload, signature] = token.split('.');
      expect(logged).not.toContain(payload);
      if (signature) expect(logged).not.toContain(signature);
    }
  });
});
