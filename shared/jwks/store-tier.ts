/**
 * The store tier between isolate memory and the network (Workers KV). Snapshots are re-parsed
 * on the way in, so a damaged or hand-edited entry is ignored rather than trusted, and store
 * failures are never fatal: the store is an optimisation, the network the source of truth.
 */
import type { KeySetSnapshot, KeySetStore } from '../types.ts';
import type { LoadedSet } from './entry.ts';
import { loadedSet, snapshotOf } from './entry.ts';
import { keysFrom } from './parse.ts';

/**
 * Reads the snapshot stored under `id` and turns it into a set, or `undefined` when there is
 * none, it is malformed, or it is older than `oldestUsefulAt` (past any stale window).
 */
export async function readSnapshot(
  store: KeySetStore,
  id: string,
  oldestUsefulAt: number,
): Promise<LoadedSet | undefined> {
  let snapshot: KeySetSnapshot | undefined;
  try {
    snapshot = await store.get(id);
  } catch {
    return undefined;
  }
  if (!isSnapshot(snapshot) || snapshot.freshUntil < oldestUsefulAt) return undefined;

  try {
    return loadedSet(keysFrom(snapshot.keys, snapshot.jwksUrl ?? id), {
      fetchedAt: snapshot.fetchedAt,
      freshUntil: snapshot.freshUntil,
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
