/**
 * How long a fetched key set stays fresh, from the response's caching headers (RFC 9111 §4.2),
 * clamped to the operator's bounds so that `no-cache` never means a fetch per request and a
 * year-long `max-age` never pins a set past rotation. Also reads `Retry-After` (RFC 9110 §10.2.3).
 */
import type { CachePolicy } from '../types.ts';
import { parseHttpDate } from './http-date.ts';

/** Where a freshness lifetime came from, for tests and log lines. */
export type FreshnessSource = 'max-age' | 'no-cache' | 'expires' | 'default';

/** A clamped freshness lifetime. */
export interface Freshness {
  /** Seconds the set is fresh for, after clamping. */
  readonly lifetimeSeconds: number;
  /** Epoch milliseconds until which the set is fresh. */
  readonly freshUntil: number;
  readonly source: FreshnessSource;
}

/**
 * Freshness of a response received at `now` (epoch milliseconds).
 *
 * - `no-cache`, `no-store` and `max-age=0` give 0, which the lower bound raises to
 *   `minMaxAgeSeconds`: we revalidate soon, never per request.
 * - `max-age` wins over `Expires` (RFC 9111 §5.3); an `Age` header from a CDN is subtracted
 *   (RFC 9111 §4.2.3).
 * - `s-maxage`, `stale-while-revalidate`, `stale-if-error` and `must-revalidate` are not used:
 *   they address HTTP caches between the provider and us, while how long a stale set may be
 *   served during an outage is the operator's `staleWindowSeconds`.
 * - No usable header: `defaultMaxAgeSeconds`.
 */
export function freshnessOf(headers: Headers, now: number, policy: CachePolicy): Freshness {
  const { seconds, source } = lifetimeOf(headers, now);
  const clamped = clampLifetime(seconds ?? policy.defaultMaxAgeSeconds, policy);
  return { lifetimeSeconds: clamped, freshUntil: now + clamped * 1000, source };
}

/** `seconds` held to the operator's bounds, `minMaxAgeSeconds..maxMaxAgeSeconds`. */
export function clampLifetime(seconds: number, policy: CachePolicy): number {
  return Math.min(policy.maxMaxAgeSeconds, Math.max(policy.minMaxAgeSeconds, seconds));
}

/** The unclamped lifetime in seconds the headers state, or `undefined` when they say nothing. */
function lifetimeOf(
  headers: Headers,
  now: number,
): { seconds: number | undefined; source: FreshnessSource } {
  const directives = parseCacheControl(headers.get('cache-control'));
  if (directives.has('no-cache') || directives.has('no-store')) {
    return { seconds: 0, source: 'no-cache' };
  }

  const age = deltaSeconds(headers.get('age') ?? undefined) ?? 0;
  if (directives.has('max-age')) {
    // A max-age that is not a whole number makes the response stale (RFC 9111 §4.2.1).
    const maxAge = deltaSeconds(directives.get('max-age')) ?? 0;
    const seconds = Math.max(0, maxAge - age);
    return { seconds, source: seconds === 0 ? 'no-cache' : 'max-age' };
  }

  const expires = headers.get('expires');
  if (expires !== null) {
    // An invalid Expires (such as "0" or "3600") means "already expired" (RFC 9111 §5.3).
    const expiresAt = parseHttpDate(expires, now);
    if (expiresAt === undefined) return { seconds: 0, source: 'expires' };
    // Expires minus Date, so a provider clock that is off does not skew the lifetime; without
    // a usable `Date`, the time the response arrived stands in for it (RFC 9111 §4.2.1).
    const dateAt = parseHttpDate(headers.get('date'), now) ?? now;
    return {
      seconds: Math.max(0, Math.floor((expiresAt - dateAt) / 1000) - age),
      source: 'expires',
    };
  }

  return { seconds: undefined, source: 'default' };
}

/** Directive name (lower case) to its value (`''` when it has none). Later duplicates lose. */
function parseCacheControl(value: string | null): Map<string, string> {
  const directives = new Map<string, string>();
  if (!value) return directives;
  for (const part of value.split(',')) {
    const [rawName, ...rest] = part.split('=');
    const name = rawName?.trim().toLowerCase();
    if (!name || directives.has(name)) continue;
    directives.set(
      name,
      rest
        .join('=')
        .trim()
        .replace(/^"(.*)"$/, '$1'),
    );
  }
  return directives;
}

/** A non-negative integer of seconds (RFC 9111 §1.2.2), or `undefined`. */
function deltaSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/**
 * Seconds the provider asks us to wait (`Retry-After` as delay-seconds or an HTTP-date),
 * or `undefined` when absent or unparseable.
 */
export function retryAfterSeconds(headers: Headers, now: number): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const delay = deltaSeconds(value);
  if (delay !== undefined) return delay;
  const at = parseHttpDate(value, now);
  return at === undefined ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
