/**
 * C17 at the HTTP level: each way a provider misbehaves, with a cold cache (503 with
 * `Retry-After`, nothing reaches the origin, the failure is remembered) and with a warm one
 * (keep verifying with the last good set, one refetch attempt, not one per request).
 *
 * workerd's clock cannot be frozen, so the key set is served with `max-age=0` and a minimum
 * freshness of 0: it goes stale at once. The cache does not start a second fetch while the
 * first may still be running, so the warm case keeps asking (bounded) until the refetch is due.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { jwks } from '../fixtures/keys.ts';
import type { Reply } from '../fixtures/provider.ts';
import { authConfig, bearer, type Scene, startScene } from './setup.ts';

/** Short enough to keep the suite fast, long enough for a loopback fetch under load. */
const FETCH_TIMEOUT_SECONDS = 1;

const scenes: Scene[] = [];
afterEach(async () => {
  for (const s of scenes.splice(0)) await s.close();
});

async function scene(): Promise<Scene> {
  const s = await startScene({
    jwksHeaders: { 'cache-control': 'max-age=0' },
    auth: authConfig({
      cache: {
        minMaxAgeSeconds: 0,
        fetchTimeoutSeconds: FETCH_TIMEOUT_SECONDS,
        failureBackoffSeconds: 30,
      },
    }),
  });
  scenes.push(s);
  return s;
}

/** A port on loopback with nothing listening. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The faults of C17, as provider replies for `/jwks.json`. */
const FAULTS: [string, (s: Scene) => Reply][] = [
  [
    '301 to another URL',
    (s) => ({ status: 301, headers: { location: `${s.provider.url}/moved.json` } }),
  ],
  [
    '200 text/html',
    () => ({ body: '<html>sign in</html>', headers: { 'content-type': 'text/html' } }),
  ],
  ['200 {"keys":"x"}', () => ({ body: { keys: 'x' } })],
  ['500', () => ({ status: 500, body: 'internal error' })],
  ['503 with Retry-After', () => ({ status: 503, headers: { 'retry-after': '120' }, body: '' })],
  ['a valid set after the timeout', (s) => ({ body: jwks(s.key), delayMs: 4000 })],
  ['a dropped connection', () => ({ destroy: true })],
];

describe('C17 provider misbehaves, cold cache', () => {
  for (const [label, fault] of FAULTS) {
    it(`answers 503 with Retry-After and remembers the failure: ${label}`, async () => {
      const s = await scene();
      // A redirect target that would verify, to show the gate never follows it.
      s.provider.route('/moved.json', { body: jwks(s.key) });
      s.provider.route('/jwks.json', fault(s));
      const token = await s.token();

      const first = await s.gate.fetch('/orders', { headers: bearer(token) });
      const second = await s.gate.fetch('/orders', { headers: bearer(token) });

      for (const answer of [first, second]) {
        expect(answer.status).toBe(503);
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(answer.headers.get('cache-control')).toBe('no-store');
        expect(answer.json().code).toMatch(/^key_set_(unavailable|invalid)$/);
      }
      expect(s.origin.received).toHaveLength(0);
      expect(s.provider.count('/jwks.json')).toBe(1);
      expect(s.provider.count('/moved.json')).toBe(0);
    });
  }

  it('logs a document that is not a JWK Set once, as an operator error', async () => {
    const s = await scene();
    s.provider.route('/jwks.json', {
      body: '<html>sign in</html>',
      headers: { 'content-type': 'text/html' },
    });
    const token = await s.token();

    for (let i = 0; i < 3; i++) await s.gate.fetch('/orders', { headers: bearer(token) });

    await s.gate.output.waitFor((l) => l.event === 'decision', 3);
    const lines = s.gate.output.events('key_set');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.lastFailure).toMatchObject({ code: 'key_set_invalid' });
  });

  it('passes the provider Retry-After on to clients', async () => {
    const s = await scene();
    s.provider.route('/jwks.json', { status: 503, headers: { 'retry-after': '120' }, body: '' });

    const answer = await s.gate.fetch('/orders', { headers: bearer(await s.token()) });

    expect(answer.status).toBe(503);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(60);
  });

  it('answers 503 when the provider refuses connections', async () => {
    const port = await closedPort();
    const s = await startScene({ vars: { JWKS_URL: `http://127.0.0.1:${port}/jwks.json` } });
    scenes.push(s);

    const answer = await s.gate.fetch('/orders', { headers: bearer(await s.token()) });

    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).not.toBeNull();
    expect(s.origin.received).toHaveLength(0);
  });
});

describe('C17 provider misbehaves, warm cache', () => {
  for (const [label, fault] of FAULTS) {
    it(`keeps verifying with the last good set and refetches once: ${label}`, async () => {
      const s = await scene();
      s.provider.route('/moved.json', { body: jwks(s.key) });
      const token = await s.token();
      expect((await s.gate.fetch('/orders', { headers: bearer(token) })).status).toBe(200);

      s.provider.route('/jwks.json', fault(s));
      const statuses: number[] = [];
      let sent = 0;
      const ask = async () => {
        // A different token each time, so the verified-token cache cannot answer for the keys.
        const own = await s.token({ jti: `warm-${++sent}` });
        statuses.push((await s.gate.fetch('/orders', { headers: bearer(own) })).status);
      };
      // The stale set is served at once; the refetch is due once the first fetch's window has
      // passed, in workerd's real time. Ask until it happens (bounded), then a few times more.
      for (let waited = 0; s.provider.count('/jwks.json') < 2 && waited < 8000; waited += 100) {
        await ask();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      for (let i = 0; i < 3; i++) await ask();

      expect(statuses.every((status) => status === 200)).toBe(true);
      expect(s.origin.received).toHaveLength(sent + 1);
      expect(s.provider.count('/jwks.json')).toBe(2);
      expect(s.provider.count('/moved.json')).toBe(0);
    });
  }

  it('keeps rejecting bad tokens while serving a stale set', async () => {
    const s = await scene();
    const token = await s.token();
    expect((await s.gate.fetch('/orders', { headers: bearer(token) })).status).toBe(200);
    s.provider.route('/jwks.json', { status: 500, body: '' });

    const forged = `${token.slice(0, -6)}AAAAAA`;
    const answer = await s.gate.fetch('/orders', { headers: bearer(forged) });

    expect(answer.status).toBe(401);
  });
});
