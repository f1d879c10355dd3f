/**
 * Runs the Lambda authorizer the way Lambda runs it: the esbuild bundle `dist/lambda/index.mjs`
 * loaded with a dynamic `import()` after the environment is set. Each cold start imports the file
 * with a fresh `?case=N` query, which Node treats as a new module: new module scope, new caches,
 * a cold instance. Events are the real API Gateway events from `../shared/realdata/aws-events/`,
 * read byte-exact and changed only in the fields a test names (token, ARN, headers).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { vi } from 'vitest';
import { jwks, makeKey, mint, type TestKey } from '../fixtures/keys.ts';
import { type Provider, startProvider } from '../fixtures/provider.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const realdata = resolve(repoRoot, '../shared/realdata');
export const bundlePath = join(repoRoot, 'dist/lambda/index.mjs');

/** The real event files. */
export const EVENT_FILES = {
  token: 'rest-token-authorizer-event.aws-lambda-go.json',
  request: 'rest-request-authorizer-event.aws-lambda-go.json',
  httpV1: 'http-api-authorizer-event-v1.0.aws-docs.json',
  httpV2: 'http-api-authorizer-event-v2.0.powertools.json',
} as const;

type Json = Record<string, unknown>;

/** A fresh parsed copy of a real event file. */
export function readEvent(kind: keyof typeof EVENT_FILES): Json {
  return JSON.parse(readFileSync(join(realdata, 'aws-events', EVENT_FILES[kind]), 'utf8')) as Json;
}

/** The documented response shapes (`authorizer-responses.json`). */
export function readResponseShapes(): Json {
  const text = readFileSync(join(realdata, 'aws-events', 'authorizer-responses.json'), 'utf8');
  return JSON.parse(text) as Json;
}

/** The environment variables the harness owns; each cold start sets all of them. */
const OWNED_ENV = [
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'JWKS_URL',
  'JWT_ALGORITHMS',
  'AUTH_CONFIG',
  'AUTHORIZER_RESPONSE',
  'JWKS_WARM_UP',
] as const;

/** A handler as the bundle exports it. */
export type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

let coldStarts = 0;

/**
 * Imports a fresh copy of the bundle with `env` as its Lambda environment. The bundle reads the
 * environment on its first invocation, and several instances may be alive in one test file, so
 * the returned handler puts its own environment back in place before every call, the way each
 * Lambda instance has its own.
 */
export async function coldStart(
  env: Partial<Record<(typeof OWNED_ENV)[number], string>>,
): Promise<Handler> {
  if (!existsSync(bundlePath)) {
    throw new Error('dist/lambda/index.mjs is missing: run `npm run build:lambda` first');
  }
  const applyEnv = () => {
    for (const name of OWNED_ENV) {
      const value = env[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  applyEnv();
  const url = `${pathToFileURL(bundlePath).href}?case=${++coldStarts}`;
  const module = (await import(url)) as { handler: Handler };
  return (event, context) => {
    applyEnv();
    return module.handler(event, context);
  };
}

/** Runs `handler` and returns what it resolved with or the error it threw. */
export async function outcome(
  handler: Handler,
  event: unknown,
): Promise<{ value?: unknown; error?: Error }> {
  try {
    return { value: await handler(event, {}) };
  } catch (error) {
    return { error: error as Error };
  }
}

/** Collects the JSON lines the bundle writes with `console.log`. */
export function captureLogs() {
  const lines: Json[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    const text = args.map(String).join(' ');
    try {
      lines.push(JSON.parse(text) as Json);
    } catch {
      lines.push({ unparsed: text });
    }
  });
  return {
    lines,
    decisions: () => lines.filter((line) => line.msg === 'authorizer decision'),
    text: () => lines.map((line) => JSON.stringify(line)).join('\n'),
    restore: () => spy.mockRestore(),
  };
}

/** A loopback provider, a signing key, and the environment that trusts them. */
export interface Scene {
  provider: Provider;
  key: TestKey;
  issuer: string;
  audience: string;
  env(extra?: { AUTH_CONFIG?: object; AUTHORIZER_RESPONSE?: string; JWKS_WARM_UP?: string }): {
    JWT_ISSUER: string;
    JWT_AUDIENCE: string;
    JWKS_URL: string;
    AUTH_CONFIG?: string;
    AUTHORIZER_RESPONSE?: string;
    JWKS_WARM_UP?: string;
  };
  /** A token of the scene's issuer and audience, valid for an hour from now. */
  token(claims?: Json, options?: Parameters<typeof mint>[2]): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts a provider that serves an RS256 key (and `extraKeys`) at `/jwks.json`, fresh for ten
 * minutes.
 */
export async function startScene(extraKeys: TestKey[] = []): Promise<Scene> {
  const provider = await startProvider();
  const key = await makeKey('RS256', 'lambda-k1');
  provider.route('/jwks.json', {
    body: jwks(key, ...extraKeys),
    headers: { 'cache-control': 'public, max-age=600' },
  });
  const issuer = `${provider.url}/issuer`;
  const audience = 'https://api.example.com';
  return {
    provider,
    key,
    issuer,
    audience,
    env: (extra = {}) => ({
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: audience,
      JWKS_URL: `${provider.url}/jwks.json`,
      ...(extra.AUTH_CONFIG ? { AUTH_CONFIG: JSON.stringify(extra.AUTH_CONFIG) } : {}),
      ...(extra.AUTHORIZER_RESPONSE ? { AUTHORIZER_RESPONSE: extra.AUTHORIZER_RESPONSE } : {}),
      ...(extra.JWKS_WARM_UP ? { JWKS_WARM_UP: extra.JWKS_WARM_UP } : {}),
    }),
    token: (claims = {}, options = {}) =>
      mint(key, { iss: issuer, aud: audience, sub: 'user-1', ...claims }, options),
    close: () => provider.close(),
  };
}

/** The REST TOKEN event with `authorizationToken` and, optionally, `methodArn` replaced. */
export function tokenEvent(authorizationToken: string | undefined, methodArn?: string): Json {
  const event = readEvent('token');
  if (authorizationToken === undefined) delete event.authorizationToken;
  else event.authorizationToken = authorizationToken;
  if (methodArn !== undefined) event.methodArn = methodArn;
  return event;
}

/** The REST REQUEST event with headers added (single and multi-value maps kept in step). */
export function requestEvent(headers: Record<string, string | string[]>, methodArn?: string): Json {
  const event = readEvent('request');
  const single = event.headers as Record<string, string>;
  const multi = event.multiValueHeaders as Record<string, string[]>;
  for (const [name, value] of Object.entries(headers)) {
    const values = Array.isArray(value) ? value : [value];
    single[name] = values.at(-1)!;
    multi[name] = values;
  }
  if (methodArn !== undefined) event.methodArn = methodArn;
  return event;
}

/** The HTTP API payload 1.0 event with headers added. */
export function httpV1Event(headers: Record<string, string>, methodArn?: string): Json {
  const event = readEvent('httpV1');
  Object.assign(event.headers as Json, headers);
  if (methodArn !== undefined) event.methodArn = methodArn;
  return event;
}

/**
 * The HTTP API payload 2.0 event. Its `Authorization` header (the file has one, spelled with a
 * capital) is replaced by `authorization` when given, or removed; cookies replace the array.
 */
export function httpV2Event(
  options: { authorization?: string; cookies?: string[]; headers?: Json; routeArn?: string } = {},
): Json {
  const event = readEvent('httpV2');
  const headers = event.headers as Json;
  delete headers.Authorization;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  Object.assign(headers, options.headers ?? {});
  if (options.cookies !== undefined) event.cookies = options.cookies;
  if (options.routeArn !== undefined) event.routeArn = options.routeArn;
  return event;
}
