/**
 * `mint`: a token from the local provider's keys with the claims, lifetime, algorithm and key
 * the user chooses. It signs locally with the same key store `npm start` publishes, so the
 * tokens verify at the local gate.
 */
import type { Command } from 'commander';
import { LOCAL_ALGORITHMS, loadKeyStore } from '../idp/keystore.ts';
import { LOCAL_AUDIENCE, MintError, type MintedToken, mintToken } from '../idp/mint.ts';
import { type CommandResult, emit, UsageError } from '../lib/output.ts';
import { readSession } from '../lib/session.ts';
import { parseInstant } from '../lib/time.ts';

/** Options of `mint`, as commander parses them. */
export interface MintCommandOptions {
  iss?: string;
  sub?: string;
  aud?: string[];
  scope?: string;
  claim?: string[];
  ttl?: string;
  exp?: boolean;
  nbf?: string;
  at?: string;
  alg?: string;
  key?: string;
  kid?: string;
  typ?: string;
  keys?: string;
}

/** Reads `name=value`; the value is JSON when it parses (numbers, booleans, arrays), else text. */
export function parseClaim(assignment: string): [string, unknown] {
  const at = assignment.indexOf('=');
  if (at <= 0) throw new UsageError(`--claim expects name=value, got "${assignment}"`);
  const name = assignment.slice(0, at);
  const raw = assignment.slice(at + 1);
  try {
    return [name, JSON.parse(raw)];
  } catch {
    return [name, raw];
  }
}

function integer(option: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number)) throw new UsageError(`${option} expects whole seconds`);
  return number;
}

/** Runs `mint` and returns the token with its decoded parts. */
export async function runMint(options: MintCommandOptions): Promise<CommandResult<MintedToken>> {
  const issuer = options.iss ?? readSession()?.issuer;
  if (!issuer) {
    throw new UsageError(
      'no issuer: pass --iss <url>, or run `npm start` first and its issuer is used',
    );
  }
  const store = await loadKeyStore(options.keys !== undefined ? { file: options.keys } : {});
  const claims = Object.fromEntries((options.claim ?? []).map(parseClaim));
  const audience = options.aud?.flatMap((aud) => aud.split(',')).filter((aud) => aud !== '');

  const mintOptions = {
    issuer,
    ...(options.sub !== undefined ? { subject: options.sub } : {}),
    audience: audience ?? readSession()?.audience ?? LOCAL_AUDIENCE,
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
    claims,
    lifetimeSeconds: options.exp === false ? null : integer('--ttl', options.ttl ?? '3600'),
    ...(options.nbf !== undefined ? { notBeforeOffsetSeconds: integer('--nbf', options.nbf) } : {}),
    ...(options.at !== undefined ? { nowMs: parseInstant(options.at) } : {}),
    ...(options.alg !== undefined ? { alg: options.alg } : {}),
    ...(options.key !== undefined ? { keyId: options.key } : {}),
    ...(options.kid !== undefined ? { headerKid: options.kid } : {}),
    ...(options.typ !== undefined ? { typ: options.typ } : {}),
  };
  let minted: MintedToken;
  try {
    minted = await mintToken(store, mintOptions);
  } catch (error) {
    // An unknown --key or --alg is the caller's choice to correct: a usage mistake (exit 2).
    if (error instanceof MintError) throw new UsageError(error.message);
    throw error;
  }
  // The terminal form is the bare token so `TOKEN=$(npm run -s mint)` works.
  return { exitCode: 0, data: minted, text: minted.token };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds `mint` to the program. */
export function registerMint(program: Command): void {
  program
    .command('mint')
    .description("mint a token signed by the local identity provider's keys")
    .option('--iss <url>', 'issuer (default: the running `npm start` provider)')
    .option('--sub <subject>', 'subject', 'demo-user')
    .option(
      '--aud <audience>',
      `audience, repeatable or comma-separated (default ${LOCAL_AUDIENCE})`,
      collect,
    )
    .option('--scope <scopes>', 'space-separated scopes, e.g. "read:orders write:orders"')
    .option('--claim <name=value>', 'extra claim; JSON values allowed; repeatable', collect)
    .option('--ttl <seconds>', 'lifetime in seconds', '3600')
    .option('--no-exp', 'leave out exp (the gate must refuse such a token)')
    .option('--nbf <seconds>', 'set nbf this many seconds after iat (negative: before)')
    .option('--at <time>', 'issuing instant: ISO 8601 or epoch seconds (default now)')
    .option('--alg <alg>', `signing algorithm: ${LOCAL_ALGORITHMS.join(', ')}`, 'RS256')
    .option('--key <kid>', 'sign with this local key (overrides --alg)')
    .option('--kid <kid>', 'put this kid in the header instead of the signing key’s')
    .option('--typ <typ>', 'header typ', 'JWT')
    .option(
      '--keys <file>',
      'key store file (default $EDGE_JWT_KEYS, else ' +
        'node_modules/.cache/edge-jwt-authorizer/local-idp-keys.json)',
    )
    .option('--json', 'print the token with its header and payload as JSON')
    .action(async (options: MintCommandOptions & { json?: boolean }) => {
      // --key picks the algorithm itself; only an explicit --alg next to it is checked.
      const alg = options.key !== undefined && options.alg === 'RS256' ? undefined : options.alg;
      emit(await runMint({ ...options, alg }), options.json === true);
    });
}
