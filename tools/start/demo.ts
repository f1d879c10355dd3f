/**
 * The local demo behind `npm start`: the identity provider, the echo origin and the Worker
 * under `wrangler dev`, wired together, plus the requests a user should try. The command
 * prints them; the test performs them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEchoOrigin } from '../echo/server.ts';
import { loadKeyStore } from '../idp/keystore.ts';
import { LOCAL_AUDIENCE, mintToken } from '../idp/mint.ts';
import { startLocalProvider } from '../idp/server.ts';
import { startWranglerDev } from './wrangler-dev.ts';

/** The demo's route rules: one public route, one that needs a scope the demo token lacks. */
export const DEMO_PATHS = {
  allowed: '/api/hello',
  forbidden: '/admin/settings',
  public: '/public/status',
} as const;

/** The scope the demo token carries and the one the admin route requires. */
export const DEMO_SCOPES = { granted: 'read:api', admin: 'admin' } as const;

/**
 * The `AUTH_CONFIG` the demo Worker runs with. The issuer itself comes from `JWT_ISSUER`,
 * `JWT_AUDIENCE` and `JWKS_URL` (issuers in `AUTH_CONFIG` would be trusted in addition); this
 * replaces the repository's example table with the demo's routes.
 */
export function demoAuthConfig(): Record<string, unknown> {
  return {
    routes: [
      { path: '/public/**', public: true },
      { path: '/admin/**', scopes: [DEMO_SCOPES.admin] },
    ],
    forwardClaims: { scope: 'X-Auth-Scope' },
  };
}

/** One request the user is told to try. */
export interface DemoRequest {
  name: 'allowed' | 'no-token' | 'forbidden' | 'public';
  description: string;
  method: 'GET';
  url: string;
  /** Whether to send the demo token. */
  withToken: boolean;
  expectedStatus: number;
}

/** A running demo. */
export interface Demo {
  gateUrl: string;
  echoUrl: string;
  issuer: string;
  jwksUrl: string;
  tokenUrl: string;
  audience: string;
  /** A valid token: subject `demo-user`, scope {@link DEMO_SCOPES.granted}, one hour. */
  token: string;
  requests: DemoRequest[];
  /** The wrangler process group, so callers can check that nothing is left. */
  wranglerPgid: number;
  /** Settles if `wrangler dev` exits on its own (or when stopped). */
  workerExited: Promise<void>;
  /** The variables the Worker was started with (`--var`). */
  vars: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts every piece; on failure stops what already started and rethrows. */
export async function startDemo(
  options: { timeoutMs?: number; onWorkerOutput?: (line: string) => void } = {},
): Promise<Demo> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };

  try {
    const store = await loadKeyStore();
    const provider = await startLocalProvider(store);
    stops.push(provider.close);
    const echo = await startEchoOrigin();
    stops.push(echo.close);

    const persistDir = await mkdtemp(join(tmpdir(), 'edge-jwt-dev-'));
    stops.push(() => rm(persistDir, { recursive: true, force: true }));
    const vars = {
      JWT_ISSUER: provider.issuer,
      JWT_AUDIENCE: LOCAL_AUDIENCE,
      JWKS_URL: provider.jwksUrl,
      ORIGIN_URL: echo.url,
      AUTH_CONFIG: JSON.stringify(demoAuthConfig()),
    };
    const worker = await startWranglerDev({
      persistDir,
      probePath: DEMO_PATHS.public,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.onWorkerOutput ? { onOutput: options.onWorkerOutput } : {}),
      vars,
    });
    stops.push(worker.stop);

    const { token } = await mintToken(store, {
      issuer: provider.issuer,
      audience: LOCAL_AUDIENCE,
      scope: DEMO_SCOPES.granted,
    });
    const gate = worker.url;
    const requests: DemoRequest[] = [
      {
        name: 'allowed',
        description: 'allowed: the echo shows the identity headers the gate added',
        method: 'GET',
        url: `${gate}${DEMO_PATHS.allowed}`,
        withToken: true,
        expectedStatus: 200,
      },
      {
        name: 'no-token',
        description: 'no token: 401 with a Bearer challenge',
        method: 'GET',
        url: `${gate}${DEMO_PATHS.allowed}`,
        withToken: false,
        expectedStatus: 401,
      },
      {
        name: 'forbidden',
        description: `forbidden by a rule (the route needs scope "${DEMO_SCOPES.admin}"): 403`,
        method: 'GET',
        url: `${gate}${DEMO_PATHS.forbidden}`,
        withToken: true,
        expectedStatus: 403,
      },
      {
        name: 'public',
        description: 'public route: no token needed',
        method: 'GET',
        url: `${gate}${DEMO_PATHS.public}`,
        withToken: false,
        expectedStatus: 200,
      },
    ];

    return {
      gateUrl: gate,
      echoUrl: echo.url,
      issuer: provider.issuer,
      jwksUrl: provider.jwksUrl,
      tokenUrl: provider.tokenUrl,
      audience: LOCAL_AUDIENCE,
      token,
      requests,
      wranglerPgid: worker.pgid,
      workerExited: worker.exited,
      vars,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The `curl` line for a demo request; `$TOKEN` stands for the token the user exported. */
export function curlLine(request: DemoRequest): string {
  const auth = request.withToken ? ' -H "Authorization: Bearer $TOKEN"' : '';
  return `curl -i${auth} ${request.url}`;
}
