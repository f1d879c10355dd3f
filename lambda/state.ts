/**
 * What the function keeps between invocations of one Lambda instance: the validated
 * configuration, the key-set cache and the authorizer (which holds the verified-token cache).
 * Built once, on the first invocation (or during init when warm-up is on), from the environment;
 * a warm invocation reuses all of it, so a request normally costs one signature check or a token
 * cache hit and no network call.
 *
 * A configuration mistake is kept too: it is logged once, with the option and the fix, and every
 * invocation after that fails closed with a non-`Unauthorized` error (API Gateway answers 500).
 * Lambda never changes a running instance's environment, so there is nothing to retry.
 */
import { type Authorizer, createAuthorizer } from '../shared/authorizer.ts';
import { loadConfig } from '../shared/config/load.ts';
import { ConfigError } from '../shared/errors.ts';
import { createKeySetCache } from '../shared/jwks/cache.ts';
import type { AuthConfig, KeySetCache, Runtime } from '../shared/types.ts';
import { logEvent } from './log.ts';
import { type LambdaSettings, readLambdaSettings } from './settings.ts';

/** A working instance. */
export interface ReadyState {
  readonly kind: 'ready';
  readonly config: AuthConfig;
  readonly settings: LambdaSettings;
  readonly cache: KeySetCache;
  readonly authorizer: Authorizer;
}

/** An instance whose configuration is wrong: every invocation fails closed. */
export interface BrokenState {
  readonly kind: 'broken';
}

/** The module-scope state of the function. */
export type State = ReadyState | BrokenState;

/**
 * The Node runtime of the core: the real clock and `fetch`, and in-flight sharing on, because
 * one Lambda instance runs one JavaScript realm where concurrent awaits of a single fetch are
 * safe (a cold stampede makes one request to the provider: C16).
 */
export function nodeRuntime(): Runtime {
  return {
    now: () => Date.now(),
    fetch: (input, init) => fetch(input, init),
    shareInFlight: true,
  };
}

/**
 * Builds the state from an environment. Never throws: a configuration error (or anything else
 * that goes wrong while building) becomes a {@link BrokenState}, logged once here.
 */
export function createState(env: Readonly<Record<string, unknown>>, runtime: Runtime): State {
  try {
    const settings = readLambdaSettings(env);
    const config = loadConfig({ ...env });
    const cache = createKeySetCache(config, runtime);
    const authorizer = createAuthorizer(config, runtime, cache);
    return { kind: 'ready', config, settings, cache, authorizer };
  } catch (error) {
    if (error instanceof ConfigError) {
      logEvent('error', 'configuration error', {
        code: 'config_error',
        option: error.option,
        fix: error.fix,
        error: error.message,
      });
    } else {
      // Not a ConfigError: a defect. Its message is not ours to trust in a log, its name is.
      logEvent('error', 'authorizer start-up failed', {
        code: 'internal',
        error: error instanceof Error ? error.name : typeof error,
      });
    }
    return { kind: 'broken' };
  }
}
