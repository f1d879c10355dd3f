/**
 * The configuration and runtime `inspect` and `invoke` evaluate under: environment variables,
 * a wrangler.toml's `[vars]`, an `AUTH_CONFIG` given on the command line, a saved key-set file
 * in place of the network, and a clock set to `--at`.
 */
import { basename } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { AuthConfig, Runtime } from '../../shared/types.ts';
import { readUserFile, userFile } from '../lib/files.ts';
import { UsageError } from '../lib/output.ts';
import { readSession } from '../lib/session.ts';

/** The variables the core reads. */
export const CONFIG_VARIABLES = [
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'JWKS_URL',
  'JWT_ALGORITHMS',
  'AUTH_CONFIG',
] as const;

/** Where the configuration comes from, as command-line options. */
export interface ConfigSourceOptions {
  /** Use the configuration of the running `npm start` demo. */
  local?: boolean;
  /** A wrangler.toml whose `[vars]` (or `[env.NAME.vars]`) to use instead of the environment. */
  wrangler?: string;
  /** With `wrangler`: the environment name. */
  env?: string;
  /** `AUTH_CONFIG` as JSON text, or the path of a JSON file. */
  config?: string;
  issuer?: string;
  audience?: string;
  jwksUrl?: string;
  algorithms?: string;
}

/**
 * `--config`: JSON text when it starts like JSON, otherwise the path of a JSON file. Deciding by
 * the first character keeps a mistyped path from reaching the core as "invalid JSON".
 */
async function configOption(value: string): Promise<string> {
  if (/^\s*[{[]/.test(value)) return value;
  return readUserFile(value, {
    option: '--config',
    insteadOfDirectory: 'a JSON file holding AUTH_CONFIG',
    orElse: 'AUTH_CONFIG as JSON text (\'{"issuers":[...]}\')',
  });
}

/** The environment the core's `loadConfig` should read, from the chosen sources. */
export async function configEnvironment(
  options: ConfigSourceOptions,
  processEnv: Record<string, string | undefined> = process.env,
): Promise<Record<string, unknown>> {
  const env: Record<string, unknown> = {};
  // Ignoring it would evaluate under another configuration than the one the user named.
  if (options.env !== undefined && options.wrangler === undefined) {
    throw new UsageError(
      `--env ${options.env} names a wrangler environment: add --wrangler <file>`,
    );
  }
  if (options.local) {
    const session = readSession();
    if (!session) throw new UsageError('--local: no `npm start` demo is running');
    Object.assign(env, session.vars);
  } else if (options.wrangler !== undefined) {
    const text = await readUserFile(options.wrangler, {
      option: '--wrangler',
      insteadOfDirectory: 'the wrangler.toml in it',
    });
    const toml = parseToml(text) as Record<string, unknown>;
    const vars =
      options.env !== undefined
        ? (toml.env as Record<string, { vars?: Record<string, unknown> }> | undefined)?.[
            options.env
          ]?.vars
        : (toml.vars as Record<string, unknown> | undefined);
    if (!vars) {
      throw new UsageError(
        `${options.wrangler} has no ${options.env ? `[env.${options.env}.vars]` : '[vars]'}`,
      );
    }
    Object.assign(env, vars);
  } else {
    for (const name of CONFIG_VARIABLES) {
      if (processEnv[name] !== undefined) env[name] = processEnv[name];
    }
  }

  if (options.config !== undefined) env.AUTH_CONFIG = await configOption(options.config);
  if (options.issuer !== undefined) env.JWT_ISSUER = options.issuer;
  if (options.audience !== undefined) env.JWT_AUDIENCE = options.audience;
  if (options.jwksUrl !== undefined) env.JWKS_URL = options.jwksUrl;
  if (options.algorithms !== undefined) env.JWT_ALGORITHMS = options.algorithms;
  return env;
}

/** The address under which a key-set file is served to the core instead of the network. */
export function fileKeySetUrl(file: string): string {
  return `https://key-set-file.invalid/${encodeURIComponent(basename(file))}`;
}

/**
 * A runtime for the tools: clock fixed at `atMs` (or the real clock), and either the real
 * `fetch` or one that answers only the key-set file's address, so nothing leaves the machine.
 */
export async function toolRuntime(options: {
  atMs?: number;
  jwksFile?: string;
}): Promise<{ runtime: Runtime; keySetUrl?: string }> {
  const now = options.atMs !== undefined ? () => options.atMs as number : () => Date.now();
  if (options.jwksFile === undefined) {
    return { runtime: { now, fetch: globalThis.fetch.bind(globalThis), shareInFlight: true } };
  }
  const file = userFile(options.jwksFile, {
    option: '--jwks',
    insteadOfDirectory: 'one key-set file in it',
  });
  const body = await readUserFile(file, { option: '--jwks' });
  const keySetUrl = fileKeySetUrl(file);
  const fileFetch = (async (input: RequestInfo | URL) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url !== keySetUrl) {
      return new Response('not served: --jwks reads a file, nothing else', { status: 404 });
    }
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { runtime: { now, fetch: fileFetch, shareInFlight: true }, keySetUrl };
}

/** The configuration with every issuer's key set read from `url` (the `--jwks` file). */
export function withKeySetUrl(config: AuthConfig, url: string | undefined): AuthConfig {
  if (url === undefined) return config;
  return { ...config, issuers: config.issuers.map((issuer) => ({ ...issuer, jwksUrl: url })) };
}
