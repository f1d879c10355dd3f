/**
 * The gate as it lives in one isolate: the configuration loaded once from `env`, the key-set
 * cache and the authorizer kept in module scope across requests, and the runtime they run on.
 * A configuration change (a new `env`) rebuilds them; a configuration error is logged once and
 * then every request fails closed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Authorizer, createAuthorizer } from '../shared/authorizer.ts';
import { loadConfig } from '../shared/config/load.ts';
import { ConfigError } from '../shared/errors.ts';
import { createKeySetCache } from '../shared/jwks/cache.ts';
import type { AuthConfig, KeySetCache, Runtime } from '../shared/types.ts';
import { createKvStore } from './kv-store.ts';
import { configErrorLine, keySetLine, storeErrorLine } from './log.ts';

/** The `env` options the gate reads; anything else in `env` does not change the gate. */
const CONFIG_KEYS = [
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'JWKS_URL',
  'JWT_ALGORITHMS',
  'AUTH_CONFIG',
  'ORIGIN_URL',
] as const;

/** A working gate. */
export interface ReadyGate {
  readonly ok: true;
  readonly config: AuthConfig;
  /** `ORIGIN_URL`, or `undefined` to send allowed requests on to the zone's origin. */
  readonly origin: URL | undefined;
  readonly keys: KeySetCache;
  readonly authorizer: Authorizer;
  /** Writes a `key_set` line for each issuer whose key-set state changed since the last call. */
  reportKeySets(): void;
}

/** A gate whose configuration was rejected: every request gets the generic 500. */
export interface BrokenGate {
  readonly ok: false;
  readonly error: ConfigError;
}

/** What {@link gateFor} returns. */
export type Gate = ReadyGate | BrokenGate;

/**
 * The execution context of the request (or cron event) being handled. Background work the core
 * starts (a KV write, a refresh) must be attached to the request that started it, and requests
 * interleave in one isolate, so a module variable would hand it to the wrong one.
 */
const currentContext = new AsyncLocalStorage<ExecutionContext>();

/** Runs `fn` with `ctx` as the owner of any background work it starts. */
export function withContext<T>(ctx: ExecutionContext, fn: () => T): T {
  return currentContext.run(ctx, fn);
}

/** Hands background work to the current request's `waitUntil` so it outlives the response. */
function waitUntil(promise: Promise<unknown>): void {
  const ctx = currentContext.getStore();
  if (ctx !== undefined) ctx.waitUntil(promise);
  else promise.catch(() => undefined);
}

let lastEnv: object | undefined;
let lastFingerprint: string | undefined;
let lastGate: Gate | undefined;

/** A stable text of the options the gate reads, to tell a new configuration from the same one. */
function fingerprint(env: Record<string, unknown>): string {
  const values = CONFIG_KEYS.map((key) => env[key] ?? null);
  return JSON.stringify([values, env.JWKS_CACHE !== undefined]);
}

/** Reads `ORIGIN_URL`: absent means the zone's origin; anything else must be an http(s) URL. */
export function parseOriginUrl(value: unknown): URL | undefined {
  if (value === undefined || value === null) return undefined;
  const fix = 'set ORIGIN_URL to an absolute https URL without query, or remove it to use the zone';
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError('ORIGIN_URL', 'is empty or not a string', fix);
  }

  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConfigError('ORIGIN_URL', 'is not an absolute URL', fix);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('ORIGIN_URL', 'must use https (or http)', fix);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError('ORIGIN_URL', 'must not carry a query, fragment or credentials', fix);
  }
  return url;
}

/** Builds the gate for a configuration; throws {@link ConfigError}. */
function buildGate(env: Record<string, unknown>): ReadyGate {
  const config = loadConfig(env);
  const origin = parseOriginUrl(env.ORIGIN_URL);
  const kv = env.JWKS_CACHE as KVNamespace | undefined;

  const runtime: Runtime = {
    now: () => Date.now(),
    // A wrapper, not the global itself: `fetch` called detached from its receiver throws in workerd.
    fetch: (input, init) => fetch(input, init),
    store:
      kv === undefined
        ? undefined
        : createKvStore(kv, {
            staleWindowSeconds: config.cache.staleWindowSeconds,
            onError: (operation, error) => console.log(storeErrorLine(operation, error)),
          }),
    waitUntil,
    // Workers: a request must never await a promise another request created (it can hang).
    shareInFlight: false,
  };
  const keys = createKeySetCache(config, runtime);
  const authorizer = createAuthorizer(config, runtime, keys);

  const reported = new Map<string, string>();
  const reportKeySets = () => {
    for (const issuer of config.issuers) {
      const status = keys.status(issuer);
      const mark = `${status.generation}:${status.lastFailure?.at ?? ''}`;
      if (reported.get(issuer.issuer) === mark) continue;
      reported.set(issuer.issuer, mark);
      if (status.skipped.length > 0 || status.lastFailure !== undefined) {
        console.log(keySetLine(issuer.issuer, status));
      }
    }
  };
  return { ok: true, config, origin, keys, authorizer, reportKeySets };
}

/** Turns whatever configuration loading threw into a {@link ConfigError}, to fail closed. */
function asConfigError(error: unknown): ConfigError {
  if (error instanceof ConfigError) return error;
  const kind = error instanceof Error ? error.name : typeof error;
  return new ConfigError(
    'AUTH_CONFIG',
    `could not be loaded (${kind})`,
    'check the configuration against the README reference',
  );
}

/**
 * The gate for `env`, built on first use and kept for the isolate's life. A configuration error
 * is logged once (per configuration) and returned as a broken gate.
 */
export function gateFor(env: object): Gate {
  if (env === lastEnv && lastGate !== undefined) return lastGate;

  const vars = env as Record<string, unknown>;
  const print = fingerprint(vars);
  lastEnv = env;
  if (print === lastFingerprint && lastGate !== undefined) return lastGate;

  lastFingerprint = print;
  try {
    lastGate = buildGate(vars);
  } catch (error) {
    const configError = asConfigError(error);
    console.log(configErrorLine(configError));
    lastGate = { ok: false, error: configError };
  }
  return lastGate;
}
