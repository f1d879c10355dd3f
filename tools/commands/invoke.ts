/**
 * `invoke`: runs the bundled Lambda authorizer (`dist/lambda/index.mjs`, what SAM deploys) on an
 * event file or a generated event, with a token, and prints the policy or the failure. With
 * `--jwks <file>` the key set is served from a loopback server, so nothing leaves the machine.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { type ConfigSourceOptions, configEnvironment } from '../inspect/setup.ts';
import {
  EVENT_KINDS,
  type EventKind,
  eventKindOf,
  generateEvent,
  withToken,
} from '../invoke/events.ts';
import { type InvocationResult, invokeBundle } from '../invoke/run-bundle.ts';
import { readUserFile, userFile } from '../lib/files.ts';
import { type CommandResult, emit, indent, UsageError } from '../lib/output.ts';
import { lambdaBundle } from '../lib/paths.ts';
import { parseInstant } from '../lib/time.ts';
import { readTokenArgument } from './inspect.ts';

/** Options of `invoke`. */
export interface InvokeOptions extends ConfigSourceOptions {
  token?: string;
  type?: string;
  method?: string;
  path?: string;
  jwks?: string;
  /** `iam` or `simple` (AUTHORIZER_RESPONSE). */
  response?: string;
  bundle?: string;
  /** Run the bundle with its clock set to this instant (ISO 8601 or epoch seconds). */
  at?: string;
}

/** What `invoke` reports. */
export interface InvokeData {
  event: string;
  /** `policy`, `simple`, `unauthorized` or `error`. */
  outcome: 'policy' | 'simple' | 'unauthorized' | 'error';
  response?: unknown;
  error?: string;
  logs: string[];
}

/** Serves one file at `/jwks.json` on loopback for the bundle's key-set fetch. */
async function serveFile(body: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' })
      .end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

/** AUTH_CONFIG as an object to edit, or `undefined` when it is absent or not valid JSON. */
function parsedAuthConfig(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    // Left as it is: the bundle's own start-up check names AUTH_CONFIG and the fix, as it
    // would in Lambda, instead of this tool failing on a bare JSON parser message.
    return undefined;
  }
}

/** Points every configured issuer at `url`: `JWKS_URL`, and `jwksUrl` inside AUTH_CONFIG. */
function redirectKeySets(env: Record<string, unknown>, url: string): void {
  if (env.JWT_ISSUER !== undefined) env.JWKS_URL = url;
  const config = parsedAuthConfig(env.AUTH_CONFIG);
  if (
    config &&
    typeof config === 'object' &&
    Array.isArray((config as { issuers?: unknown }).issuers)
  ) {
    for (const issuer of (config as { issuers: unknown[] }).issuers) {
      // A malformed entry (a string, null) is the bundle's to report, with its option path.
      if (issuer && typeof issuer === 'object' && !Array.isArray(issuer)) {
        (issuer as Record<string, unknown>).jwksUrl = url;
      }
    }
    env.AUTH_CONFIG = JSON.stringify(config);
  }
}

/** An event file's JSON object, or a usage error saying what the file holds instead. */
function parseEvent(text: string, file: string): Record<string, unknown> {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON: pass an API Gateway authorizer event file`);
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new UsageError(`${file} is not a JSON object: pass an API Gateway authorizer event`);
  }
  return event as Record<string, unknown>;
}

function outcomeOf(result: InvocationResult): InvokeData['outcome'] {
  if (!result.ok) return result.error === 'Unauthorized' ? 'unauthorized' : 'error';
  const response = result.response as { isAuthorized?: unknown } | null;
  return response && typeof response === 'object' && 'isAuthorized' in response
    ? 'simple'
    : 'policy';
}

function render(data: InvokeData): string {
  const lines = [`Event: ${data.event}`];
  if (data.outcome === 'unauthorized')
    lines.push('Result: failed with "Unauthorized" (API Gateway answers 401)');
  else if (data.outcome === 'error')
    lines.push(`Result: failed with "${data.error}" (API Gateway answers 500)`);
  else lines.push('Result:', indent(JSON.stringify(data.response, null, 2)));
  if (data.logs.length > 0) lines.push('', 'Log lines:', indent(data.logs.join('\n')));
  return lines.join('\n');
}

/**
 * Runs `invoke`. Exit code 0 for a policy or `isAuthorized: true`, 1 for a refusal or a failure.
 */
export async function runInvoke(
  eventFile: string | undefined,
  options: InvokeOptions,
): Promise<CommandResult<InvokeData>> {
  let bundle = lambdaBundle;
  if (options.bundle !== undefined) {
    // A bundle named on the command line is the user's file, not the build's output.
    bundle = userFile(options.bundle, {
      option: '--bundle',
      insteadOfDirectory: 'the .mjs bundle in it',
    });
  } else if (!existsSync(bundle)) {
    throw new UsageError(`${bundle} does not exist: run \`npm run build:lambda\` first`);
  }
  const method = (options.method ?? 'GET').toUpperCase();
  const path = options.path ?? '/';
  // As inspect: API Gateway paths start with "/", and a bad one is the caller's mistake, not
  // a failed invocation.
  if (!path.startsWith('/')) throw new UsageError('--path must start with "/"');
  const atMs = options.at !== undefined ? parseInstant(options.at) : undefined;

  let event: Record<string, unknown>;
  if (eventFile !== undefined) {
    event = parseEvent(
      await readUserFile(eventFile, { insteadOfDirectory: 'one event JSON file in it' }),
      eventFile,
    );
    if (options.token !== undefined) event = withToken(event, options.token);
  } else {
    const kind = (options.type ?? 'token') as EventKind;
    if (!EVENT_KINDS.includes(kind))
      throw new UsageError(`--type must be one of ${EVENT_KINDS.join(', ')}`);
    event = generateEvent(kind, method, path, options.token);
  }

  const env = await configEnvironment(options);
  if (options.response !== undefined) env.AUTHORIZER_RESPONSE = options.response;
  const keySet =
    options.jwks !== undefined
      ? await readUserFile(options.jwks, {
          option: '--jwks',
          insteadOfDirectory: 'one key-set file in it',
        })
      : undefined;

  let server: { url: string; close(): Promise<void> } | undefined;
  try {
    // Inside the try: whatever fails after the server listens must still close it, or the
    // open socket keeps this process alive after the message is printed.
    if (keySet !== undefined) {
      server = await serveFile(keySet);
      redirectKeySets(env, server.url);
    }
    const stringEnv = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
    const result = await invokeBundle(bundle, event, stringEnv, atMs !== undefined ? { atMs } : {});
    const data: InvokeData = {
      event: eventKindOf(event),
      outcome: outcomeOf(result),
      ...(result.ok ? { response: result.response } : { error: result.error }),
      logs: result.logs,
    };
    // A simple response of `false` is a refusal as plain as `Unauthorized`; a policy is an
    // answer whose statements API Gateway applies route by route.
    const refused =
      data.outcome === 'unauthorized' ||
      data.outcome === 'error' ||
      (data.outcome === 'simple' &&
        (data.response as { isAuthorized?: unknown }).isAuthorized !== true);
    const exitCode = refused ? 1 : 0;
    return { exitCode, data, text: render(data) };
  } finally {
    await server?.close();
  }
}

/** Adds `invoke` to the program. */
export function registerInvoke(program: Command): void {
  program
    .command('invoke')
    .description('run the bundled Lambda authorizer on an event (file or generated) with a token')
    .argument('[event]', 'an API Gateway authorizer event JSON file (default: generate one)')
    .option('--token <token>', 'the token to put in the event ("-" reads stdin)')
    .option('--type <kind>', `generated event: ${EVENT_KINDS.join(', ')}`, 'token')
    .option('--method <method>', 'generated event method', 'GET')
    .option('--path <path>', 'generated event path', '/')
    .option(
      '--at <time>',
      "run with the function's clock at this instant (ISO 8601 or epoch seconds)",
    )
    .option('--response <mode>', 'AUTHORIZER_RESPONSE: iam or simple (payload 2.0 only)')
    .option('--jwks <file>', 'serve this key-set file on loopback instead of fetching')
    .option('--local', 'use the configuration of the running `npm start` demo')
    .option('--config <json|file>', 'AUTH_CONFIG as JSON text or a JSON file')
    .option('--wrangler <file>', "use this wrangler.toml's [vars] instead of the environment")
    .option('--env <name>', 'with --wrangler: use [env.NAME.vars]')
    .option('--issuer <iss>', 'JWT_ISSUER')
    .option('--audience <aud>', 'JWT_AUDIENCE (comma-separated)')
    .option('--jwks-url <url>', 'JWKS_URL')
    .option('--algorithms <list>', 'JWT_ALGORITHMS (comma-separated)')
    .option('--bundle <file>', 'the bundle to run (default dist/lambda/index.mjs)')
    .option('--json', 'print the result as JSON')
    .action(async (eventFile: string | undefined, options: InvokeOptions & { json?: boolean }) => {
      const token = options.token !== undefined ? readTokenArgument(options.token) : undefined;
      const result = await runInvoke(eventFile, {
        ...options,
        ...(token !== undefined ? { token } : {}),
      });
      emit(result, options.json === true);
    });
}
