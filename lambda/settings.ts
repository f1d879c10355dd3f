/**
 * The two options only the Lambda has, read from its environment beside the shared contract
 * (`JWT_ISSUER`, `AUTH_CONFIG`, ... read by `loadConfig`, which ignores these names):
 *
 * - `AUTHORIZER_RESPONSE`: `iam` (default) or `simple`. API Gateway does not say in the event
 *   whether an HTTP API authorizer has `EnableSimpleResponses` on, so the operator says it here,
 *   matching the template. `simple` applies to payload 2.0 events only: REST APIs and payload 1.0
 *   accept nothing but IAM policies, so those events are always answered with a policy.
 * - `JWKS_WARM_UP`: `true` fetches every issuer's key set while the function initialises (before
 *   the first request, during Lambda's init phase); `false` (default) fetches on first use.
 */
import { ConfigError } from '../shared/errors.ts';

/** How payload 2.0 events are answered. */
export type ResponseMode = 'iam' | 'simple';

/** The Lambda-only settings. */
export interface LambdaSettings {
  readonly responseMode: ResponseMode;
  readonly warmUp: boolean;
}

/**
 * Reads the Lambda-only options. Values are trimmed and compared case-insensitively; anything
 * else is a configuration error naming the option, like the shared options.
 *
 * @throws ConfigError for a value that is not one of the documented ones.
 */
export function readLambdaSettings(env: Readonly<Record<string, unknown>>): LambdaSettings {
  return {
    responseMode: pick(env, 'AUTHORIZER_RESPONSE', ['iam', 'simple'], 'iam'),
    warmUp: pick(env, 'JWKS_WARM_UP', ['true', 'false'], 'false') === 'true',
  };
}

function pick<T extends string>(
  env: Readonly<Record<string, unknown>>,
  option: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = env[option];
  if (raw === undefined || raw === null) return fallback;
  const value = String(raw).trim().toLowerCase();
  if (value === '') return fallback;
  const choice = choices.find((c) => c === value);
  if (choice === undefined) {
    throw new ConfigError(
      option,
      `must be one of ${choices.join(', ')}`,
      `set ${option} to ${choices.map((c) => `"${c}"`).join(' or ')}, or remove it for "${fallback}"`,
    );
  }
  return choice;
}
