/**
 * The store tier between isolate memory and the network (Workers KV). Snapshots are re-parsed
 * on the way in, so a damaged or hand-edited entry is ignored rather than trusted, and store
 * failures are never fatal: the store is an optimisation, the network the source of truth.
 */
import type { KeySetSnapshot, KeySetStore } from '../types.ts';
import type { LoadedSet } from './entry.ts';
import { loadedSet, snapshotOf } from './entry.ts';
import { keysFrom } from './parse.ts';

/** How far ahead of this isolate's clock a stored `fetchedAt` may be (clocks of hosts differ). */
const CLOCK_SKEW_MS = 60_000;

/** The clock and the cache policy a stored snapshot is judged by. */
export interface SnapshotLimits {
  /** Epoch milliseconds now. */
  readonly now: number;
  readonly staleWindowSeconds: number;
  readonly maxMaxAgeSeconds: number;
}

/**
 * Reads the snapshot stored under `id` and turns it into a set, or `undefined` when there is
 * none, it is malformed, or it is past any stale window. The timestamps are judged too: a
 * `fetchedAt` in the future or a `freshUntil` before it is no snapshot this cache wrote (another
 * format, milliseconds read as microseconds), and freshness longer than `maxMaxAgeSeconds` is cut
 * to it. Trusted as stored, such a value would pin the set for good: a later fetch never
 * replaces a set that claims to be newer, and a set that claims to be fresh is never refetched.
 */
export async function readSnapshot(
  store: KeySetStore,
  id: string,
  limits: SnapshotLimits,
): Promise<LoadedSet | undefined> {
  let snapshot: KeySetSnapshot | undefined;
  try {
    snapshot = await store.get(id);
  } catch {
    return undefined;
  }
  if (!isSnapshot(snapshot)) return undefined;
  if (snapshot.fetchedAt > limits.now + CLOCK_SKEW_MS) return undefined;
  if (snapshot.freshUntil < snapshot.fetchedAt) return undefined;
  const fetchedAt = Math.min(snapshot.fetchedAt, limits.now);
  const freshUntil = Math.min(
    snapshot.freshUntil,
    snapshot.fetchedAt + limits.maxMaxAgeSeconds * 1000,
  );
  if (freshUntil < limits.now - limits.staleWindowSeconds * 1000) return undefined;

  try {
    return loadedSet(keysFrom(snapshot.keys, snapshot.jwksUrl ?? id), {
      fetchedAt,
      freshUntil,
      etag: typeof snapshot.etag === 'string' ? snapshot.etag : undefined,
      lastModified: typeof snapshot.lastModified === 'string' ? snapshot.lastModified : undefined,
      jwksUrl: typeof snapshot.jwksUrl === 'string' ? snapshot.jwksUrl : id,
    });
  } catch {
    return undefined;
  }
}

/** Writes `set` under `id`; a failed write is dropped (the next fetch writes again). */
export async function writeSnapshot(store: KeySetStore, id: string, set: LoadedSet): Promise<void> {
  try {
    await store.put(id, snapshotOf(set));
  } catch {
    // Nothing to do: the set is in memory, and the store is only a shortcut for other isolates.
  }
}

function isSnapshot(value: unknown): value is KeySetSnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const snapshot = value as Record<string, unknown>;
  return (
    Array.isArray(snapshot.keys) &&
    Number.isFinite(snapshot.fetchedAt) &&
    Number.isFinite(snapshot.freshUntil)
  );
}
