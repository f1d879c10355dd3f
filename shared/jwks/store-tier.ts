/**
 * The store tier between isolate memory and the network (Workers KV). Snapshots are re-parsed
 * and checked on the way in, so a damaged, hand-edited or foreign entry is ignored rather than
 * trusted, and store failures are never fatal: the store is an optimisation, the network the
 * source of truth. Reads and writes are bounded in time like fetches, so a store that never
 * answers cannot hold a request.
 */
import type { CachePolicy, IssuerConfig, KeySetSnapshot, KeySetStore } from '../types.ts';
import { withDeadline } from './deadline.ts';
import { addressProblem } from './discovery.ts';
import type { LoadedSet } from './entry.ts';
import { loadedSet, snapshotOf } from './entry.ts';
import { keysFrom } from './parse.ts';

/**
 * How far in the future a snapshot's fetch time may lie (another isolate's clock) before the
 * snapshot is taken for garbage: a set "fetched" later than any fetch we could make would
 * otherwise win over every real fetch and pin its keys.
 */
const MAX_CLOCK_SKEW_MS = 60_000;

/** What a snapshot is checked against. */
export interface SnapshotContext {
  readonly issuer: IssuerConfig;
  readonly policy: CachePolicy;
  /** Epoch milliseconds. */
  readonly now: number;
}

/**
 * Reads the snapshot stored under `id` and turns it into a set, or `undefined` when there is
 * none, the store does not answer within `fetchTimeoutSeconds`, or the snapshot is malformed,
 * dated in the future, fresh only until before its fetch, past any stale window, or written
 * for another key-set address or another issuer. Its freshness is held to this
 * configuration's `maxMaxAgeSeconds`.
 */
export async function readSnapshot(
  store: KeySetStore,
  id: string,
  context: SnapshotContext,
): Promise<LoadedSet | undefined> {
  let stored: unknown;
  try {
    stored = await bounded(store.get(id), context.policy);
  } catch {
    return undefined;
  }
  const snapshot = parseSnapshot(stored);
  if (snapshot === undefined || !belongsTo(snapshot, context.issuer)) return undefined;

  const { now, policy } = context;
  if (snapshot.fetchedAt > now + MAX_CLOCK_SKEW_MS) return undefined;
  // A set fresh only until before it was fetched is no snapshot this cache wrote (another
  // format, milliseconds read as seconds): trusted, it would look newer than any real fetch.
  if (snapshot.freshUntil < snapshot.fetchedAt) return undefined;
  const fetchedAt = Math.min(snapshot.fetchedAt, now);
  const freshUntil = Math.min(snapshot.freshUntil, fetchedAt + policy.maxMaxAgeSeconds * 1000);
  if (freshUntil + policy.staleWindowSeconds * 1000 < now) return undefined;

  const jwksUrl = snapshot.jwksUrl ?? id;
  try {
    return loadedSet(keysFrom(snapshot.keys, jwksUrl), {
      fetchedAt,
      freshUntil,
      etag: snapshot.etag,
      lastModified: snapshot.lastModified,
      jwksUrl,
    });
  } catch {
    return undefined;
  }
}

/**
 * Writes `set` under `id`; a failed or unanswered write is dropped (the next fetch writes
 * again). A discovered set records the issuer whose discovery document named its address.
 */
export async function writeSnapshot(
  store: KeySetStore,
  id: string,
  set: LoadedSet,
  issuer: IssuerConfig,
  policy: CachePolicy,
): Promise<void> {
  const snapshot: KeySetSnapshot = {
    ...snapshotOf(set),
    ...(issuer.jwksUrl === undefined ? { issuer: issuer.issuer } : {}),
  };
  try {
    await bounded(store.put(id, snapshot), policy);
  } catch {
    // Nothing to do: the set is in memory, and the store is only a shortcut for other isolates.
  }
}

/**
 * Whether a snapshot was written for this issuer's key set: the configured address itself,
 * or, for a discovered set, a fetchable address found by discovery for exactly this issuer
 * (two issuers that differ only in a trailing slash share a discovery address, and a snapshot
 * written by one must not spare the other its own issuer check).
 */
function belongsTo(snapshot: KeySetSnapshot, issuer: IssuerConfig): boolean {
  if (issuer.jwksUrl !== undefined) {
    return snapshot.jwksUrl === undefined || snapshot.jwksUrl === issuer.jwksUrl;
  }
  return (
    snapshot.issuer === issuer.issuer &&
    typeof snapshot.jwksUrl === 'string' &&
    addressProblem(snapshot.jwksUrl) === undefined
  );
}

/**
 * A stored value read back as a snapshot, or `undefined` when it does not have the shape
 * {@link writeSnapshot} writes (an older format, or a value someone else put in the store):
 * keys that are objects, finite times, and an address and issuer that are strings when present.
 * A validator that is not a string is left out, which only costs a conditional request.
 */
export function parseSnapshot(value: unknown): KeySetSnapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { keys, fetchedAt, freshUntil, jwksUrl, issuer } = record;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'object' && k !== null)) {
    return undefined;
  }
  if (typeof fetchedAt !== 'number' || !Number.isFinite(fetchedAt)) return undefined;
  if (typeof freshUntil !== 'number' || !Number.isFinite(freshUntil)) return undefined;
  if (jwksUrl !== undefined && typeof jwksUrl !== 'string') return undefined;
  if (issuer !== undefined && typeof issuer !== 'string') return undefined;

  const text = (name: string) =>
    typeof record[name] === 'string' ? { [name]: record[name] as string } : {};
  return {
    keys: keys as KeySetSnapshot['keys'],
    fetchedAt,
    freshUntil,
    ...text('etag'),
    ...text('lastModified'),
    ...text('jwksUrl'),
    ...text('issuer'),
  };
}

/** `operation`, or a rejection once the fetch timeout has passed. */
function bounded<T>(operation: Promise<T>, policy: CachePolicy): Promise<T> {
  return withDeadline(operation, policy.fetchTimeoutSeconds, () => new Error('store timeout'));
}
