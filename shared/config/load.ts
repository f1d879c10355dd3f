/**
 * Reads the configuration from the platform's environment (wrangler `[vars]`, Lambda variables)
 * once, at start-up. Every mistake is one {@link ConfigError} naming the option as the user wrote
 * it and the fix; the adapters then fail closed.
 */
import * as v from 'valibot';
import { ConfigError } from '../errors.ts';
import type { AuthConfig, IssuerConfig } from '../types.ts';
import { PROVIDERS } from './defaults.ts';
import { normaliseIssuer } from './issuer.ts';
import { normaliseConfig } from './normalise.ts';
import { fixFor } from './options.ts';
import { authConfigSchema, KNOWN_KEYS, type RawAuthConfig, type RawIssuer } from './schema.ts';

/**
 * Builds the validated {@link AuthConfig} from `JWT_ISSUER`, `JWT_AUDIENCE`, `JWKS_URL`,
 * `JWT_ALGORITHMS` and `AUTH_CONFIG` (JSON text or an object). Other keys of `env` are ignored.
 * A blank `AUTH_CONFIG`, `JWKS_URL` or `JWT_ALGORITHMS` counts as absent (deployment templates
 * often pass empty parameters, and absence keeps the secure default); a blank `JWT_ISSUER` or
 * `JWT_AUDIENCE` is an error, because it would otherwise disable a check (C07).
 * @throws ConfigError
 */
export function loadConfig(env: Record<string, unknown>): AuthConfig {
  const raw = readAuthConfig(env.AUTH_CONFIG);
  return normaliseConfig(raw, readEnvIssuer(env, (raw.issuers?.length ?? 0) > 0));
}

function readAuthConfig(value: unknown): RawAuthConfig {
  if (value === undefined || value === null) return {};
  let input: unknown = value;
  if (typeof value === 'string') {
    if (value.trim() === '') return {};
    try {
      input = JSON.parse(value);
    } catch (error) {
      const where = error instanceof SyntaxError ? ` (${error.message})` : '';
      throw new ConfigError('AUTH_CONFIG', `is not valid JSON${where}`, fixFor('AUTH_CONFIG'));
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError('AUTH_CONFIG', 'is not a JSON object', fixFor('AUTH_CONFIG'));
  }
  const result = v.safeParse(authConfigSchema, input);
  if (result.success) return result.output;
  throw issueToError(result.issues[0]);
}

/** One valibot issue as a ConfigError: option path, problem, fix (with "did you mean"). */
function issueToError(issue: v.BaseIssue<unknown>): ConfigError {
  const keys = (issue.path ?? []).map((item) => item.key);
  let option = 'AUTH_CONFIG';
  for (const key of keys) option += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;

  // Unknown keys: valibot reports them with `expected: never` at the key's own path.
  if (issue.type === 'strict_object' && issue.expected === 'never') {
    const unknown = String(keys[keys.length - 1]);
    const parent = option.slice(0, option.length - unknown.length - 1);
    return new ConfigError(
      option,
      'is not a known option',
      unknownOptionFix(unknown, parentPattern(parent)),
    );
  }
  if (keys[keys.length - 1] === 'provider' && typeof issue.input === 'string') {
    const guess = providerGuess(issue.input);
    if (guess !== undefined) {
      return new ConfigError(
        option,
        issue.message,
        `did you mean "${guess}"? Otherwise ${fixFor(option)}`,
      );
    }
  }
  return new ConfigError(option, issue.message, fixFor(option));
}

/**
 * The fix for an unknown option `name` at `level` (a KNOWN_KEYS pattern): its near spelling
 * there, else the level that knows it, else its removal.
 */
function unknownOptionFix(name: string, level: string): string {
  const known = KNOWN_KEYS[level] ?? [];
  const guess = closest(name, known);
  if (guess !== undefined) return `did you mean \`${guess}\`? Known options: ${known.join(', ')}`;
  const elsewhere = levelHolding(name, level);
  if (elsewhere === undefined) return `remove it; known options: ${known.join(', ')}`;
  const where = elsewhere.level === '' ? 'AUTH_CONFIG' : `AUTH_CONFIG.${elsewhere.level}`;
  return `move it to ${where}${elsewhere.name === name ? '' : ` as \`${elsewhere.name}\``}`;
}

/**
 * Names people write for a provider whose profile goes by another name: the company or the
 * product before a rename, which no edit distance would bring to the profile's name.
 */
const PROVIDER_ALIASES: ReadonlyMap<string, string> = new Map([
  ['azure', 'entra'],
  ['azuread', 'entra'],
  ['azure-ad', 'entra'],
  ['aad', 'entra'],
  ['microsoft', 'entra'],
  ['entra-id', 'entra'],
  ['firebase', 'google'],
  ['aws', 'cognito'],
  ['amazon', 'cognito'],
  ['aws-cognito', 'cognito'],
  ['cloudflare', 'cloudflare-access'],
  ['cf-access', 'cloudflare-access'],
]);

/** The profile an unknown `provider` value most likely means (a Map: `constructor` is no alias). */
function providerGuess(name: string): string | undefined {
  const lower = name.trim().toLowerCase();
  return PROVIDER_ALIASES.get(lower) ?? closest(lower, PROVIDERS);
}

/**
 * Another level that knows `name` (or a near spelling of it): an option put one level off,
 * such as `credentials` inside an issuer, is better answered with where it goes than "remove".
 */
function levelHolding(name: string, except: string): { level: string; name: string } | undefined {
  for (const [level, known] of Object.entries(KNOWN_KEYS)) {
    if (level === except) continue;
    const match = closest(name, known);
    if (match !== undefined) return { level, name: match };
  }
  return undefined;
}

function parentPattern(parent: string): string {
  return parent.replace(/^AUTH_CONFIG\.?/, '').replace(/\[\d+\]/g, '[]');
}

/** The known name nearest to `name` (case-insensitive, plural/singular, small edit distance). */
export function closest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const c = candidate.toLowerCase();
    if (c === lower || c === `${lower}s` || `${c}s` === lower) return candidate;
    // `clockTolerance` for `clockToleranceSeconds`: units left off.
    if (lower.length >= 4 && c.startsWith(lower)) return candidate;
    const distance = editDistance(lower, c);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = row;
  }
  return previous[b.length]!;
}

const ENV_OPTION: Partial<Record<keyof RawIssuer, string>> = {
  audiences: 'JWT_AUDIENCE',
  jwksUrl: 'JWKS_URL',
  algorithms: 'JWT_ALGORITHMS',
};

/**
 * The one generic issuer the `JWT_*` variables describe, or `undefined` when none is set.
 * `listed`: AUTH_CONFIG names issuers, so a blank JWT_ISSUER is more likely a leftover than a
 * lost value, and its fix is to remove it.
 */
function readEnvIssuer(env: Record<string, unknown>, listed: boolean): IssuerConfig | undefined {
  const issuer = envString(env, 'JWT_ISSUER', { blankIsAbsent: false, listed });
  const audience = envString(env, 'JWT_AUDIENCE', { blankIsAbsent: false, listed });
  const jwksUrl = envString(env, 'JWKS_URL', { blankIsAbsent: true });
  const algorithms = envString(env, 'JWT_ALGORITHMS', { blankIsAbsent: true });
  if (issuer === undefined) {
    const orphan =
      audience !== undefined
        ? 'JWT_AUDIENCE'
        : jwksUrl !== undefined
          ? 'JWKS_URL'
          : algorithms !== undefined
            ? 'JWT_ALGORITHMS'
            : undefined;
    if (orphan)
      throw new ConfigError('JWT_ISSUER', `is not set, but ${orphan} is`, fixFor('JWT_ISSUER'));
    return undefined;
  }
  const raw: RawIssuer = { issuer, provider: 'generic' };
  if (audience !== undefined) raw.audiences = envList('JWT_AUDIENCE', audience);
  if (jwksUrl !== undefined) raw.jwksUrl = jwksUrl;
  if (algorithms !== undefined) raw.algorithms = envList('JWT_ALGORITHMS', algorithms);
  return normaliseIssuer(raw, (field) => ENV_OPTION[field] ?? 'JWT_ISSUER');
}

function envString(
  env: Record<string, unknown>,
  name: string,
  options: { blankIsAbsent: boolean; listed?: boolean },
): string | undefined {
  const value = env[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ConfigError(name, 'is not a string', fixFor(name));
  const trimmed = value.trim();
  if (trimmed === '') {
    if (options.blankIsAbsent) return undefined;
    // Still an error: an empty value never means "check disabled", and it may be a value that a
    // pipeline lost. With the issuers in AUTH_CONFIG the likelier fix is to drop the variable.
    const fix = options.listed
      ? `remove ${name} (leave it unset: AUTH_CONFIG.issuers lists the issuers), or ${fixFor(name)}`
      : fixFor(name);
    throw new ConfigError(name, 'is empty or only whitespace', fix);
  }
  // An env file or a template that keeps quotes hands them over as part of the value:
  // `JWT_AUDIENCE=""` is a blank in disguise, and `"api"` would never equal any `aud`.
  if (isQuoted(trimmed)) throw quoted(name, 'is');
  return trimmed;
}

function isQuoted(value: string): boolean {
  const first = value[0];
  return value.length >= 2 && (first === '"' || first === "'") && value.endsWith(first);
}

function quoted(name: string, what: string): ConfigError {
  return new ConfigError(
    name,
    `${what} wrapped in quotes, which would become part of the value`,
    `remove the quotes; ${fixFor(name)}`,
  );
}

/** A comma-separated list; an empty item (`a,,b`, a trailing comma) is a mistake, not a wildcard. */
function envList(name: string, value: string): string[] {
  if (value.startsWith('[')) {
    throw new ConfigError(
      name,
      'is a JSON array, but it is read as a comma-separated list',
      fixFor(name),
    );
  }
  const items = value.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw new ConfigError(name, 'has an empty item in its comma-separated list', fixFor(name));
  }
  if (items.some(isQuoted)) throw quoted(name, 'has an item');
  return items;
}
