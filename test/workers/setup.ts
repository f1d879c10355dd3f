/**
 * The usual scene of a Worker test: a loopback identity provider serving a run-time key set, an
 * echo origin, and the gate in workerd configured for them. Each test file builds its own scene
 * so files can run in parallel.
 */
import { jwks, makeKey, mint, type TestKey } from '../fixtures/keys.ts';
import { type Provider, startProvider } from '../fixtures/provider.ts';
import { type GateOptions, type GateResponse, type RunningGate, startGate } from './harness.ts';
import { type Origin, type Received, startOrigin } from './origin.ts';

/** The issuer the scene's tokens carry. */
export const ISSUER = 'https://issuer.example.test/';
/** The audience the scene's gate accepts. */
export const AUDIENCE = 'api://gate-test';
/** A browser origin the scene's configuration allows. */
export const APP_ORIGIN = 'https://app.example.test';

/** The `AUTH_CONFIG` most tests run with; pass overrides for the rest. */
export function authConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    realm: 'gate-test',
    corsOrigins: [APP_ORIGIN],
    forwardClaims: {
      email: 'X-Auth-Email',
      roles: 'X-Auth-Roles',
      name: 'X-Auth-Name',
      note: 'X-Auth-Note',
    },
    routes: [
      { path: '/health', public: true },
      { path: '/public/**', public: true },
      { path: '/admin/**', scopes: ['admin:write'] },
    ],
    cache: { failureBackoffSeconds: 30 },
    ...overrides,
  };
}

/** A running scene. */
export interface Scene {
  provider: Provider;
  origin: Origin;
  gate: RunningGate;
  key: TestKey;
  /** The vars the gate runs with, to start another gate on the same configuration. */
  vars: Record<string, unknown>;
  /** A valid token for the scene's issuer and audience, with extra claims. */
  token(claims?: Record<string, unknown>): Promise<string>;
  /**
   * Sends a request through the gate tagged with a fresh `x-test-id`; `arrived` lists what the
   * origin received of that request (nothing when the gate answered itself).
   */
  send(
    path: string,
    headers?: Record<string, string>,
    method?: string,
    body?: string,
  ): Promise<{ response: GateResponse; arrived: () => Received[] }>;
  close(): Promise<void>;
}

/** What a scene may change. */
export interface SceneOptions {
  /**
   * `AUTH_CONFIG` (an object; sent as JSON text unless `configAsObject`), or a function of the
   * provider's key-set address for configurations that name it.
   */
  auth?: Record<string, unknown> | ((jwksUrl: string) => Record<string, unknown>);
  /** Pass `AUTH_CONFIG` as an object, as a wrangler TOML table arrives. */
  configAsObject?: boolean;
  /** Extra or replacing vars; `undefined` removes one. */
  vars?: Record<string, unknown>;
  kv?: GateOptions['kv'];
  workers?: number;
  /** Headers of the key-set response. */
  jwksHeaders?: Record<string, string>;
}

/** Starts provider, origin and gate. */
export async function startScene(options: SceneOptions = {}): Promise<Scene> {
  const provider = await startProvider();
  const origin = await startOrigin();
  const key = await makeKey('RS256', 'k1');
  provider.route('/jwks.json', {
    body: jwks(key),
    headers: { 'cache-control': 'max-age=600', ...options.jwksHeaders },
  });

  const jwksUrl = `${provider.url}/jwks.json`;
  const auth =
    typeof options.auth === 'function' ? options.auth(jwksUrl) : (options.auth ?? authConfig());
  const vars: Record<string, unknown> = {
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWKS_URL: jwksUrl,
    ORIGIN_URL: origin.url,
    AUTH_CONFIG: options.configAsObject ? auth : JSON.stringify(auth),
    ...options.vars,
  };
  for (const [name, value] of Object.entries(vars)) if (value === undefined) delete vars[name];

  const gate = await startGate({ vars, kv: options.kv, workers: options.workers });
  let sent = 0;
  return {
    provider,
    origin,
    gate,
    key,
    vars,
    token: (claims = {}) => mint(key, { iss: ISSUER, aud: AUDIENCE, sub: 'user-1', ...claims }),
    async send(path, headers = {}, method = 'GET', body) {
      const id = `scene-${++sent}`;
      const response = await gate.fetch(path, {
        method,
        headers: { 'x-test-id': id, ...headers },
        ...(body === undefined ? {} : { body }),
      });
      return { response, arrived: () => origin.withId(id) };
    },
    async close() {
      await gate.dispose();
      await provider.close();
      await origin.close();
    },
  };
}

/** `Authorization` header for a token. */
export const bearer = (token: string): Record<string, string> => ({
  Authorization: `Bearer ${token}`,
});
