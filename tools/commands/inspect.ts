/**
 * `inspect <token>`: decodes a token without trusting it, then walks the verification a request
 * would get under a configuration, and for a refusal prints the one reason (the core's code)
 * and what to change. The token is never sent anywhere and never printed whole: only its
 * decoded header and payload appear, never the signature.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createAuthorizer } from '../../shared/authorizer.ts';
import { loadConfig } from '../../shared/config/load.ts';
import { AuthError, ConfigError } from '../../shared/errors.ts';
import { createKeySetCache } from '../../shared/jwks/index.ts';
import { IssuerIndex } from '../../shared/profiles.ts';
import type { AuthRequest, Decision, Identity, IssuerConfig } from '../../shared/types.ts';
import { adviceFor } from '../inspect/advice.ts';
import {
  type ConfigSourceOptions,
  configEnvironment,
  toolRuntime,
  withKeySetUrl,
} from '../inspect/setup.ts';
import { answerOf, type Step, walk } from '../inspect/walk.ts';
import { type CommandResult, emit, indent, UsageError } from '../lib/output.ts';
import { parseInstant } from '../lib/time.ts';

/** Options of `inspect`. */
export interface InspectOptions extends ConfigSourceOptions {
  /** A key-set file used instead of fetching. */
  jwks?: string;
  /** Evaluate at this instant (ISO 8601 or epoch seconds). */
  at?: string;
  method?: string;
  path?: string;
}

/** What `inspect` reports. */
export interface InspectData {
  at: string;
  /** Where the configuration came from. */
  configuration: string;
  request: { method: string; path: string };
  header: Record<string, unknown> | null;
  payload: Record<string, unknown> | null;
  signatureCharacters: number;
  steps: Step[];
  /** `allow`, `public`, `preflight` or `deny`. */
  outcome: Decision['outcome'] | 'config_error';
  /** The answer the Worker would give. */
  answer: string;
  /** The reason code of a refusal. */
  code?: string;
  reason?: string;
  /** What to change. */
  fix?: string;
  subject?: string;
}

function decodeUntrusted(token: string): {
  header: Record<string, unknown> | undefined;
  payload: Record<string, unknown> | undefined;
} {
  let header: Record<string, unknown> | undefined;
  let payload: Record<string, unknown> | undefined;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    header = undefined;
  }
  try {
    payload = decodeJwt(token) as Record<string, unknown>;
  } catch {
    payload = undefined;
  }
  return { header, payload };
}

/** A request carrying the token where the configuration reads credentials. */
function requestWith(
  token: string,
  method: string,
  path: string,
  credentials: { bearer: boolean; cookie: string | undefined; header: string | undefined },
): AuthRequest {
  const headers = new Headers();
  if (credentials.bearer) headers.set('authorization', `Bearer ${token}`);
  else if (credentials.header) headers.set(credentials.header, token);
  else if (credentials.cookie) headers.set('cookie', `${credentials.cookie}=${token}`);
  return {
    method,
    path,
    header: (name) => headers.get(name),
    query: () => null,
  };
}

const MARK: Record<Step['status'], string> = { ok: '✓', fail: '✗', 'not reached': '·', info: '-' };

function render(data: InspectData): string {
  const lines = [
    'Token (decoded without trusting it):',
    indent(`header  ${data.header ? JSON.stringify(data.header) : '(not decodable)'}`),
    indent(
      `payload ${data.payload ? JSON.stringify(data.payload, null, 2).replace(/\n/g, '\n        ') : '(not decodable)'}`,
    ),
    indent(`signature: ${data.signatureCharacters} characters (not shown)`),
    '',
    `Configuration: ${data.configuration}`,
    `Verification at ${data.at} for ${data.request.method} ${data.request.path}:`,
  ];
  const width = Math.max(...data.steps.map((s) => s.name.length));
  for (const step of data.steps) {
    lines.push(`  ${MARK[step.status]} ${step.name.padEnd(width)}  ${step.detail}`);
  }
  lines.push('');
  if (data.outcome === 'deny' || data.outcome === 'config_error') {
    lines.push(`Result: refused (${data.answer}) — ${data.code}: ${data.reason}`);
    if (data.fix) lines.push(`What to change: ${data.fix}`);
  } else {
    const who = data.subject !== undefined ? ` for subject ${data.subject}` : '';
    lines.push(
      `Result: ${data.outcome === 'allow' ? 'allowed' : data.outcome}${who} (${data.answer})`,
    );
    if (data.reason) lines.push(`Note: ${data.reason}`);
  }
  return lines.join('\n');
}

/** Says where the configuration came from, so a surprising verdict can be traced to it. */
function describeSource(options: InspectOptions): string {
  const base = options.local
    ? 'the running npm start demo'
    : options.wrangler !== undefined
      ? `${options.wrangler} ${options.env ? `[env.${options.env}.vars]` : '[vars]'}`
      : 'the environment';
  const flags = [
    options.config !== undefined && '--config',
    options.issuer !== undefined && '--issuer',
    options.audience !== undefined && '--audience',
    options.jwksUrl !== undefined && '--jwks-url',
    options.algorithms !== undefined && '--algorithms',
  ].filter((flag): flag is string => typeof flag === 'string');
  const keys = options.jwks !== undefined ? `; key set from ${options.jwks}` : '';
  return `${base}${flags.length > 0 ? ` with ${flags.join(', ')}` : ''}${keys}`;
}

/** Reads the token argument: `-` means stdin (keeps it out of shell history). */
export function readTokenArgument(argument: string): string {
  const raw = argument === '-' ? readFileSync(0, 'utf8') : argument;
  // People paste whole header values; the scheme is not part of the token.
  const token = raw.trim().replace(/^bearer(\s+|$)/i, '');
  // An empty variable (`"$TOKEN"` unset) or empty stdin: nothing to inspect, and walking it
  // would report a request fault ("Bearer credential is empty") instead of the real mistake.
  if (token === '') {
    throw new UsageError(
      argument === '-' ? 'no token on stdin' : 'the token is empty (is the variable set?)',
    );
  }
  return token;
}

/** Runs `inspect`; exit code 0 when the request would pass, 1 when refused. */
export async function runInspect(
  token: string,
  options: InspectOptions,
): Promise<CommandResult<InspectData>> {
  const atMs = options.at !== undefined ? parseInstant(options.at) : Date.now();
  const method = (options.method ?? 'GET').toUpperCase();
  const path = options.path ?? '/';
  if (!path.startsWith('/')) throw new UsageError('--path must start with "/"');

  const { header, payload } = decodeUntrusted(token);
  const base = {
    at: new Date(atMs).toISOString(),
    request: { method, path },
    header: header ?? null,
    payload: payload ?? null,
    signatureCharacters: token.split('.')[2]?.length ?? 0,
    configuration: describeSource(options),
  };

  const env = await configEnvironment(options);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const data: InspectData = {
      ...base,
      steps: [],
      outcome: 'config_error',
      answer: '500 configuration error',
      code: 'config_error',
      // The fix gets its own line, so the reason leaves it out: it is said once.
      reason: `${error.option}: ${error.problem}`,
      fix: error.fix,
    };
    return { exitCode: 1, data, text: render(data) };
  }

  const { runtime, keySetUrl } = await toolRuntime({
    atMs,
    ...(options.jwks !== undefined ? { jwksFile: options.jwks } : {}),
  });
  config = withKeySetUrl(config, keySetUrl);
  const keys = createKeySetCache(config, runtime);
  const authorizer = createAuthorizer(config, runtime, keys);

  let verdict: Identity | AuthError;
  try {
    verdict = await authorizer.verifyToken(token, 'bearer');
  } catch (error) {
    verdict = error instanceof AuthError ? error : new AuthError('token_malformed', String(error));
  }
  const decision = await authorizer.authorize(requestWith(token, method, path, config.credentials));
  const steps = await walk({
    config,
    keys,
    atMs,
    method,
    path,
    header,
    payload,
    token: verdict,
    decision,
  });

  if (keySetUrl !== undefined && options.jwks !== undefined) {
    // The core saw the file under a stand-in address; show the user their file.
    for (const step of steps) step.detail = step.detail.replaceAll(keySetUrl, options.jwks);
  }

  const error = decision.outcome === 'deny' ? decision.error : undefined;
  let issuer: IssuerConfig | undefined = verdict instanceof AuthError ? undefined : verdict.issuer;
  try {
    issuer ??= new IssuerIndex(config.issuers).resolve(String(payload?.iss), payload ?? {});
  } catch {
    // An unknown issuer: the advice names the configured ones instead.
  }
  const data: InspectData = {
    ...base,
    steps,
    outcome: decision.outcome,
    answer: answerOf(decision),
    ...(error
      ? {
          code: error.code,
          reason: error.message,
          fix: adviceFor({
            error,
            header,
            payload,
            config,
            issuer,
            atMs,
            ...(issuer ? { skippedKeys: keys.status(issuer).skipped } : {}),
          }),
        }
      : {}),
    ...(decision.outcome === 'allow' && decision.identity.subject !== undefined
      ? { subject: decision.identity.subject }
      : {}),
  };
  if (decision.outcome !== 'deny' && verdict instanceof AuthError) {
    // A public route passes any request; still say what the token itself would get.
    data.reason = `the route passes without a token; the token alone would be refused: ${verdict.code}`;
  }
  if (keySetUrl !== undefined && options.jwks !== undefined) {
    const file = options.jwks;
    if (data.reason) data.reason = data.reason.replaceAll(keySetUrl, file);
    if (data.fix) data.fix = data.fix.replaceAll(keySetUrl, file);
  }
  return { exitCode: decision.outcome === 'deny' ? 1 : 0, data, text: render(data) };
}

/** Adds `inspect` to the program. */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('walk the verification a request with this token would get, and say why it fails')
    .argument('<token>', 'the token (or "Bearer <token>"); "-" reads it from stdin')
    .option('--at <time>', 'evaluate at this instant: ISO 8601 or epoch seconds (default now)')
    .option('--method <method>', 'request method for the route rules', 'GET')
    .option('--path <path>', 'request path for the route rules', '/')
    .option('--jwks <file>', 'read the key set from this file instead of fetching it')
    .option('--local', 'use the configuration of the running `npm start` demo')
    .option('--config <json|file>', 'AUTH_CONFIG as JSON text or a JSON file')
    .option('--wrangler <file>', "use this wrangler.toml's [vars] instead of the environment")
    .option('--env <name>', 'with --wrangler: use [env.NAME.vars]')
    .option('--issuer <iss>', 'JWT_ISSUER')
    .option('--audience <aud>', 'JWT_AUDIENCE (comma-separated)')
    .option('--jwks-url <url>', 'JWKS_URL')
    .option('--algorithms <list>', 'JWT_ALGORITHMS (comma-separated)')
    .option('--json', 'print the walk as JSON')
    .action(async (token: string, options: InspectOptions & { json?: boolean }) => {
      emit(await runInspect(readTokenArgument(token), options), options.json === true);
    });
}
