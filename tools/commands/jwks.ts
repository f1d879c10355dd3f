/**
 * `jwks <url | issuer | file>`: reads a key set and lists each key with its warnings, plus the
 * response's caching headers and the freshness the gate's cache would give it.
 */
import type { Command } from 'commander';
import { CONFIG_DEFAULTS } from '../../shared/config/defaults.ts';
import { freshnessOf } from '../../shared/jwks/index.ts';
import type { CachePolicy } from '../../shared/types.ts';
import { describeKeySet, type KeySetReport } from '../jwks/describe.ts';
import { loadKeySetDocument } from '../jwks/load.ts';
import { type CommandResult, emit, indent, table } from '../lib/output.ts';

/** Caching facts of a URL source. */
export interface CacheReport {
  /** The caching-related response headers, as received. */
  headers: Record<string, string>;
  /** What the headers ask for, before the gate's bounds; `undefined` when they say nothing. */
  statedSeconds: number | undefined;
  /** What the gate keeps the set for after clamping (`cache.*MaxAgeSeconds`). */
  freshSeconds: number;
  /** `max-age`, `no-cache`, `expires` or `default` (no usable header). */
  basis: string;
  /** The bounds used. */
  policy: Pick<CachePolicy, 'defaultMaxAgeSeconds' | 'minMaxAgeSeconds' | 'maxMaxAgeSeconds'>;
}

/** What `jwks` reports. */
export interface JwksCommandData extends KeySetReport {
  source: { kind: 'file' | 'url'; location: string; via: string; discoveryUrl?: string };
  notes: string[];
  cache?: CacheReport;
}

const CACHE_HEADERS = [
  'cache-control',
  'expires',
  'age',
  'date',
  'etag',
  'last-modified',
  'content-type',
];

/** The freshness the cache computes for these headers, with and without the bounds. */
export function cacheReport(
  headers: Headers,
  receivedAt: number,
  policy: CachePolicy,
): CacheReport {
  const shown: Record<string, string> = {};
  for (const name of CACHE_HEADERS) {
    const value = headers.get(name);
    if (value !== null) shown[name] = value;
  }
  const clamped = freshnessOf(headers, receivedAt, policy);
  const unbounded = freshnessOf(headers, receivedAt, {
    ...policy,
    minMaxAgeSeconds: 0,
    maxMaxAgeSeconds: Number.MAX_SAFE_INTEGER,
  });
  return {
    headers: shown,
    statedSeconds: unbounded.source === 'default' ? undefined : unbounded.lifetimeSeconds,
    freshSeconds: clamped.lifetimeSeconds,
    basis: clamped.source,
    policy: {
      defaultMaxAgeSeconds: policy.defaultMaxAgeSeconds,
      minMaxAgeSeconds: policy.minMaxAgeSeconds,
      maxMaxAgeSeconds: policy.maxMaxAgeSeconds,
    },
  };
}

function renderCache(cache: CacheReport): string {
  const lines = Object.entries(cache.headers).map(([name, value]) => `${name}: ${value}`);
  if (lines.length === 0) lines.push('(no caching headers)');
  const stated =
    cache.statedSeconds === undefined
      ? `no usable freshness header: the default ${cache.policy.defaultMaxAgeSeconds} s applies`
      : `the response asks for ${cache.statedSeconds} s (${cache.basis})`;
  const bounds = `bounds ${cache.policy.minMaxAgeSeconds}..${cache.policy.maxMaxAgeSeconds} s`;
  lines.push(`freshness: ${stated}; the gate keeps it ${cache.freshSeconds} s (${bounds})`);
  return lines.join('\n');
}

/** The terminal form of a report. */
export function renderJwks(data: JwksCommandData): string {
  const via = data.source.via === 'discovery' ? ` (from ${data.source.discoveryUrl})` : '';
  const out = [`Key set: ${data.source.location}${via}`];
  for (const note of data.notes) out.push(`note: ${note}`);
  if (data.keys.length > 0) {
    const rows = data.keys.map((key) => [
      key.kid ?? '(none)',
      key.kty ?? '?',
      key.alg ?? '-',
      key.size ?? '-',
      key.use ?? '-',
      key.usable ? 'yes' : 'no',
    ]);
    out.push('', table(['kid', 'kty', 'alg', 'size/curve', 'use', 'usable'], rows));
    for (const key of data.keys) {
      if (key.warnings.length === 0) continue;
      out.push('', `key ${key.index} (${key.kid ?? 'no kid'}):`);
      out.push(indent(key.warnings.map((warning) => `! ${warning}`).join('\n')));
    }
  }
  if (data.warnings.length > 0) {
    out.push('', ...data.warnings.map((warning) => `! ${warning}`));
  }
  if (data.cache) out.push('', 'Caching:', indent(renderCache(data.cache)));
  return out.join('\n');
}

/** Runs `jwks`; exit code 1 when the document is not a JWK Set or has no usable key. */
export async function runJwks(
  target: string,
  options: { member?: string; fetch?: typeof fetch; now?: () => number } = {},
): Promise<CommandResult<JwksCommandData>> {
  const loaded = await loadKeySetDocument(target, options);
  const contentType = loaded.headers?.get('content-type') ?? null;
  const report = describeKeySet(loaded.body, loaded.location, contentType);
  const data: JwksCommandData = {
    source: {
      kind: loaded.kind,
      location: loaded.location,
      via: loaded.via,
      ...(loaded.discoveryUrl !== undefined ? { discoveryUrl: loaded.discoveryUrl } : {}),
    },
    notes: loaded.notes,
    ...report,
    ...(loaded.headers
      ? { cache: cacheReport(loaded.headers, loaded.receivedAt, CONFIG_DEFAULTS.cache) }
      : {}),
  };
  const failed = !report.isJwkSet || !report.keys.some((key) => key.usable);
  return { exitCode: failed ? 1 : 0, data, text: renderJwks(data) };
}

/** Adds `jwks` to the program. */
export function registerJwks(program: Command): void {
  program
    .command('jwks')
    .description('list the keys of a key set (URL, issuer or file) with warnings and caching')
    .argument('<source>', 'a key-set URL, a discovery URL, an issuer URL, or a JSON file')
    .option(
      '--member <name>',
      'read this top-level member of a JSON file holding several documents',
    )
    .option('--json', 'print the report as JSON')
    .action(async (source: string, options: { member?: string; json?: boolean }) => {
      const run = options.member !== undefined ? { member: options.member } : {};
      emit(await runJwks(source, run), options.json === true);
    });
}
