/**
 * The Lambda entry point: `handler(event, context)` for API Gateway REST `TOKEN` and `REQUEST`
 * authorizers and HTTP API authorizers (payload 1.0 and 2.0). Bundled by
 * `tools/build-lambda.mjs` into `dist/lambda/index.mjs`, which `template.yaml` deploys.
 *
 * Module scope holds the instance's state (configuration, key-set cache, authorizer with its
 * token cache) across warm invocations. Importing the module reads nothing and fetches nothing:
 * the environment is read on the first invocation, and the key sets are fetched when the first
 * token needs them. With `JWKS_WARM_UP=true` both happen during Lambda's init phase instead, so
 * the first request of a new instance does not wait for the identity provider.
 */
import type { Context } from 'aws-lambda';
import { type AuthorizerResponse, handleEvent } from './handler.ts';
import { logEvent } from './log.ts';
import { createState, nodeRuntime, type State } from './state.ts';

let state: State | undefined;

/** The instance's state, built from `process.env` on first use. */
function currentState(): State {
  state ??= createState(process.env, nodeRuntime());
  return state;
}

/**
 * The authorizer. Resolves with an IAM policy answer or a simple answer; rejects with
 * `Error('Unauthorized')` for a missing or invalid token (401) and with another error when it
 * cannot decide (500, fail closed).
 */
export async function handler(event: unknown, _context?: Context): Promise<AuthorizerResponse> {
  return handleEvent(currentState(), event);
}

/**
 * Fetches every issuer's key set during init. Failures are logged and left to the cache, which
 * remembers them and retries on demand; a failed warm-up never fails the init phase, since that
 * would only make Lambda retry the same fetch.
 */
async function warmUp(): Promise<void> {
  const current = currentState();
  if (current.kind !== 'ready' || !current.settings.warmUp) return;
  try {
    const results = await current.cache.refreshAll();
    const failed = results.filter((result) => !result.ok);
    logEvent(failed.length > 0 ? 'warn' : 'info', 'key sets warmed up', { results });
  } catch (error) {
    logEvent('warn', 'key-set warm-up failed', {
      error: error instanceof Error ? error.name : typeof error,
    });
  }
}

// Only an explicit opt-in touches the environment or the network at import time. Top-level
// await keeps the fetch inside Lambda's init phase, which runs before the first invocation.
if (
  String(process.env.JWKS_WARM_UP ?? '')
    .trim()
    .toLowerCase() === 'true'
)
  await warmUp();
