/**
 * The network tier: find the key-set address (configured, or by OIDC discovery), fetch it
 * within the limits, revalidate with the validators of the set we hold, and parse what came
 * back. Throws {@link AuthError} `key_set_unavailable` or `key_set_invalid`.
 */
import { AuthError } from '../errors.ts';
import type { CachePolicy, IssuerConfig } from '../types.ts';
import { discoveryUrl, jwksUriFromDiscovery } from './discovery.ts';
import type { Entry, LoadedSet } from './entry.ts';
import { loadedSet } from './entry.ts';
import { fetchBounded } from './fetch.ts';
import { clampLifetime, freshnessOf } from './freshness.ts';
import { parseKeySetDocument } from './parse.ts';

/** What the network tier needs from its caller. */
export interface NetworkContext {
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly policy: CachePolicy;
  /** Called as each HTTP request starts, for the `fetches` counter. */
  readonly onFetch: () => void;
}

/**
 * Fetches `issuer`'s key set for `entry`. A 304 answer to a conditional request gives back
 * the held set with renewed freshness (RFC 9110 §15.4.5).
 */
export async function fetchKeySet(
  context: NetworkContext,
  entry: Entry,
  issuer: IssuerConfig,
): Promise<LoadedSet> {
  const jwksUrl = await resolveAddress(context, entry, issuer);
  const held = entry.set?.jwksUrl === jwksUrl ? entry.set : undefined;

  context.onFetch();
  const result = await fetchBounded(
    context.fetch,
    jwksUrl,
    {
      timeoutSeconds: context.policy.fetchTimeoutSeconds,
      maxResponseBytes: context.policy.maxResponseBytes,
      etag: held?.etag,
      lastModified: held?.lastModified,
    },
    context.now(),
  );
  const receivedAt = context.now();

  if (result.status === 304) {
    if (!held) {
      throw new AuthError(
        'key_set_unavailable',
        `Fetch of ${jwksUrl}: answered 304 to an unconditional request`,
      );
    }
    // A 304 updates the stored response's headers with those it carries (RFC 9111 §4.3.4):
    // new validators replace the old ones, and without caching headers of its own the
    // lifetime the set had is renewed rather than replaced by the default.
    return {
      ...held,
      fetchedAt: receivedAt,
      freshUntil: revalidatedUntil(result.headers, held, receivedAt, context.policy),
      etag: result.headers.get('etag') ?? held.etag,
      lastModified: result.headers.get('last-modified') ?? held.lastModified,
    };
  }

  const { freshUntil } = freshnessOf(result.headers, receivedAt, context.policy);
  const parsed = parseKeySetDocument(result.body, result.headers.get('content-type'), jwksUrl);
  return loadedSet(parsed, {
    fetchedAt: receivedAt,
    freshUntil,
    etag: result.headers.get('etag') ?? undefined,
    lastModified: result.headers.get('last-modified') ?? undefined,
    jwksUrl,
  });
}

/** When a set revalidated by a 304 answer received at `now` stops being fresh. */
function revalidatedUntil(
  headers: Headers,
  held: LoadedSet,
  now: number,
  policy: CachePolicy,
): number {
  if (headers.has('cache-control') || headers.has('expires')) {
    return freshnessOf(headers, now, policy).freshUntil;
  }
  return now + clampLifetime((held.freshUntil - held.fetchedAt) / 1000, policy) * 1000;
}

/**
 * The key-set address: the configured one, else the discovered `jwks_uri`, rediscovered when
 * the discovery document's own freshness ran out. If rediscovery fails, the address we already
 * know is kept: the discovery document failing must not take down a key set that still works.
 */
async function resolveAddress(
  context: NetworkContext,
  entry: Entry,
  issuer: IssuerConfig,
): Promise<string> {
  if (issuer.jwksUrl !== undefined) return issuer.jwksUrl;
  const known = entry.discovered?.url ?? entry.set?.jwksUrl;
  if (entry.discovered && context.now() < entry.discovered.freshUntil) return entry.discovered.url;

  try {
    const url = discoveryUrl(issuer.issuer);
    context.onFetch();
    const result = await fetchBounded(
      context.fetch,
      url,
      {
        timeoutSeconds: context.policy.fetchTimeoutSeconds,
        maxResponseBytes: context.policy.maxResponseBytes,
      },
      context.now(),
    );
    if (result.status !== 200)
      throw new AuthError(
        'key_set_unavailable',
        `Fetch of ${url}: answered 304 to an unconditional request`,
      );
    const jwksUri = jwksUriFromDiscovery(result.body, issuer.issuer);
    const receivedAt = context.now();
    entry.discovered = {
      url: jwksUri,
      freshUntil: freshnessOf(result.headers, receivedAt, context.policy).freshUntil,
    };
    return jwksUri;
  } catch (error) {
    // A document that names another issuer is never papered over with an old address.
    if (known !== undefined && error instanceof AuthError && error.code === 'key_set_unavailable') {
      // Remembered for the failure backoff: while discovery is down, each key-set refresh
      // must not wait on (or time out against) the discovery address again.
      entry.discovered = {
        url: known,
        freshUntil: context.now() + context.policy.failureBackoffSeconds * 1000,
      };
      return known;
    }
    throw error;
  }
}
