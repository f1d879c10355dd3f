/**
 * Where allowed requests go: `ORIGIN_URL` with its own path as a prefix, the zone's origin when
 * `ORIGIN_URL` is absent, the `Authorization` header only when `forwardAuthorization` is on,
 * and a 502 (never a 500) when the origin cannot be reached.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { authConfig, bearer, type Scene, type SceneOptions, startScene } from './setup.ts';

const scenes: Scene[] = [];
afterEach(async () => {
  for (const s of scenes.splice(0)) await s.close();
});

async function scene(options: SceneOptions = {}): Promise<Scene> {
  const s = await startScene(options);
  scenes.push(s);
  return s;
}

describe('forwarding', () => {
  it('appends the request path to the path of ORIGIN_URL', async () => {
    const s = await scene();
    const prefixed = await scene({ vars: { ORIGIN_URL: `${s.origin.url}/v1/` } });
    const token = await prefixed.token();

    const answer = await prefixed.gate.fetch('/orders/7?x=1', { headers: bearer(token) });

    expect(answer.status).toBe(200);
    expect(s.origin.received[0]?.url).toBe('/v1/orders/7?x=1');
  });

  it('sends the request on to its own URL (the zone origin) when ORIGIN_URL is absent', async () => {
    const s = await scene({ vars: { ORIGIN_URL: undefined } });
    const token = await s.token();

    const answer = await s.gate.fetch(`${s.origin.url}/orders?page=2`, { headers: bearer(token) });

    expect(answer.status).toBe(200);
    expect(s.origin.received[0]?.url).toBe('/orders?page=2');
    expect(s.origin.received[0]?.headers['x-auth-subject']).toBe('user-1');
  });

  it('passes the Authorization header on when forwardAuthorization is on', async () => {
    const s = await scene({ auth: authConfig({ forwardAuthorization: true }) });
    const token = await s.token();

    await s.gate.fetch('/orders', { headers: bearer(token) });

    expect(s.origin.received[0]?.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('removes a query-string token before the origin and keeps the other parameters as sent', async () => {
    const routes = [{ path: '/download/**', queryParameter: 'access_token' }];
    const s = await scene({ auth: authConfig({ routes }) });
    const token = await s.token();

    const answer = await s.gate.fetch(`/download/a.pdf?x=%20y&access_token=${token}&b=c+d`);

    expect(answer.status).toBe(200);
    expect(s.origin.received[0]?.url).toBe('/download/a.pdf?x=%20y&b=c+d');
    expect(s.gate.output.text()).not.toContain(token);
  });

  it('accepts AUTH_CONFIG as an object, the way a wrangler TOML table arrives', async () => {
    const s = await scene({ configAsObject: true });
    const token = await s.token({ scope: 'read' });

    const denied = await s.gate.fetch('/admin/x', { headers: bearer(token) });
    const open = await s.gate.fetch('/health');

    expect(denied.status).toBe(403);
    expect(open.status).toBe(200);
  });

  it('passes an origin redirect back to the client as it is, without following it', async () => {
    const seen: string[] = [];
    const redirecting = createHttpServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.host}`);
      res.writeHead(302, { location: '/v1/elsewhere', 'set-cookie': 'o=1' }).end('moved');
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const { port } = redirecting.address() as { port: number };
    try {
      const s = await scene({ vars: { ORIGIN_URL: `http://127.0.0.1:${port}/v1` } });

      const answer = await s.gate.fetch('/orders/7?a=1&b=%2F', {
        method: 'PUT',
        headers: bearer(await s.token()),
        body: 'payload',
      });

      expect(answer.status).toBe(302);
      expect(answer.headers.get('location')).toBe('/v1/elsewhere');
      expect(answer.headers.get('set-cookie')).toBe('o=1');
      // One request: method, path, query and Host as the origin expects them; no second hop.
      expect(seen).toEqual([`PUT /v1/orders/7?a=1&b=%2F 127.0.0.1:${port}`]);
    } finally {
      redirecting.closeAllConnections();
      await new Promise<void>((resolve) => redirecting.close(() => resolve()));
    }
  });

  it('answers 502 with a log line when the origin cannot be reached', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const s = await scene({ vars: { ORIGIN_URL: `http://127.0.0.1:${port}` } });

    const answer = await s.gate.fetch('/orders', { headers: bearer(await s.token()) });

    expect(answer.status).toBe(502);
    expect(answer.json()).toEqual({ error: 'bad_gateway', code: 'origin_unreachable' });
    const [line] = await s.gate.output.waitFor((l) => l.event === 'decision');
    expect(line).toMatchObject({ outcome: 'allow', status: 502 });
  });
});
