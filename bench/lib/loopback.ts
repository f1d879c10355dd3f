/**
 * The loopback world the gate figures run in: an origin server that answers every request, and
 * the test suite's identity provider (`test/fixtures/provider.ts`), which serves the key set and
 * counts requests. Nothing leaves the machine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Provider, startProvider } from '../../test/fixtures/provider.ts';
import { ROOT } from './bundle.ts';
import { makeSuite, type Suite } from './fixtures.ts';

/** A loopback origin that answers 200 with a short body and counts requests. */
export interface Origin {
  url: string;
  count(): number;
  close(): Promise<void>;
}

/** Starts the origin on an ephemeral loopback port. */
export async function startOrigin(): Promise<Origin> {
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'text/plain' }).end('origin ok');
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Everything a gate Worker needs: provider, origin, bindings and a valid token. */
export interface GateWorld {
  provider: Provider;
  origin: Origin;
  /** The suite the token and key set come from (RS256, one token per pool slot). */
  suite: Suite;
  /** The Worker's `[vars]`, pointing at the loopback provider and origin. */
  bindings: Record<string, string>;
  close(): Promise<void>;
}

/** Starts provider and origin and mints `tokens` RS256 tokens they accept. */
export async function startGateWorld(tokens = 1): Promise<GateWorld> {
  const suite = await makeSuite('RS256', tokens);
  const provider = await startProvider();
  provider.route('/jwks.json', {
    body: suite.jwks,
    headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=600' },
  });
  const origin = await startOrigin();
  return {
    provider,
    origin,
    suite,
    bindings: {
      JWT_ISSUER: suite.issuer,
      JWT_AUDIENCE: suite.audience,
      JWKS_URL: `${provider.url}/jwks.json`,
      JWT_ALGORITHMS: suite.alg,
      ORIGIN_URL: origin.url,
    },
    async close() {
      await provider.close();
      await origin.close();
    },
  };
}

/** The Worker bundle as `npm run build:worker` wrote it, or `undefined` when not built. */
export function shippedWorker(): string | undefined {
  const file = path.join(ROOT, 'dist/worker/index.js');
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** A request to a protected route with a bearer token. */
export function gateRequest(base: URL | string, token: string): Request {
  return new Request(new URL('/api/items', base), {
    headers: { authorization: `Bearer ${token}` },
  });
}
