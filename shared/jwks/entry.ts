/**
 * The in-memory state the cache keeps per key-set address: the last good set, the remembered
 * failure, the time of the last network fetch (for the unknown-`kid` cooldown), the discovered
 * address, and the one shared in-flight update where the runtime allows sharing.
 */
import type { AuthError } from '../errors.ts';
import type { KeySetSnapshot, SkippedKey, UsableKey } from '../types.ts';
import type { ParsedKeySet } from './parse.ts';

/** A key set as held in memory, indexed by `kid`. */
export interface LoadedSet {
  readonly keys: readonly UsableKey[];
  readonly byKid: ReadonlyMap<string, readonly UsableKey[]>;
  readonly skipped: readonly SkippedKey[];
  readonly published: readonly Readonly<Record<string, unknown>>[];
  /** Epoch milliseconds when it was fetched or last revalidated. */
  readonly fetchedAt: number;
  readonly freshUntil: number;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  /** The address it came from (the discovered `jwks_uri` when discovered). */
  readonly jwksUrl: string;
}

/** A failed update, remembered so that an outage does not become a fetch per request. */
export interface Failure {
  readonly error: AuthError;
  readonly at: number;
  /** Epoch milliseconds before which no new attempt is made. */
  readonly until: number;
}

/** Where an update found its set, or that it failed. */
export type UpdateSource = 'store' | 'network' | 'failed';

/** Everything known about one key-set address. */
export interface Entry {
  /** The address, or the discovery address when the set is discovered; also the store key. */
  readonly id: string;
  set: LoadedSet | undefined;
  failure: Failure | undefined;
  /** Start of the last network fetch (or unknown-`kid` update), for the cooldown. */
  lastNetworkAt: number | undefined;
  /** Start of the last update by any caller, so others serve a stale set meanwhile. */
  updateStartedAt: number | undefined;
  /** The `jwks_uri` found by discovery, and until when it is fresh. */
  discovered: { readonly url: string; readonly freshUntil: number } | undefined;
  /** Incremented each time a set is installed; lets adapters log skipped keys once per fetch. */
  generation: number;
  /** The update other callers may join; only used when the runtime allows sharing. */
  inFlight: Promise<UpdateSource> | undefined;
}

/** A new, empty entry. */
export function createEntry(id: string): Entry {
  return {
    id,
    set: undefined,
    failure: undefined,
    lastNetworkAt: undefined,
    updateStartedAt: undefined,
    discovered: undefined,
    generation: 0,
    inFlight: undefined,
  };
}

/** Facts about a fetched set besides its keys. */
export interface SetMeta {
  readonly fetchedAt: number;
  readonly freshUntil: number;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  readonly jwksUrl: string;
}

/** Builds the in-memory form of a parsed set. */
export function loadedSet(parsed: ParsedKeySet, meta: SetMeta): LoadedSet {
  const byKid = new Map<string, UsableKey[]>();
  for (const key of parsed.keys) {
    if (key.kid === undefined) continue;
    const list = byKid.get(key.kid);
    if (list) list.push(key);
    else byKid.set(key.kid, [key]);
  }
  return { ...parsed, ...meta, byKid };
}

/**
 * Installs `set` unless the entry already holds one fetched later (concurrent updates on a
 * runtime without sharing may finish out of order). Clears the remembered failure.
 */
export function install(entry: Entry, set: LoadedSet): boolean {
  entry.failure = undefined;
  if (entry.set && entry.set.fetchedAt > set.fetchedAt) return false;
  entry.set = set;
  entry.generation += 1;
  return true;
}

/**
 * The keys a token naming `kid` is checked with: those with that `kid`, or every usable key
 * when the token names none. When no key has the `kid`, the keys published without one are
 * offered instead: `kid` is optional (RFC 7517 §4.5), and such a key matches any hint.
 */
export function selectKeys(set: LoadedSet, kid: string | undefined): readonly UsableKey[] {
  const named = namedKeys(set, kid);
  return named.length > 0 ? named : set.keys.filter((key) => key.kid === undefined);
}

/** Only the keys that carry `kid` (every key when `kid` is undefined): what rotation adds. */
export function namedKeys(set: LoadedSet, kid: string | undefined): readonly UsableKey[] {
  if (kid === undefined) return set.keys;
  return set.byKid.get(kid) ?? [];
}

/** The serialisable form of a set for the store tier. */
export function snapshotOf(set: LoadedSet): KeySetSnapshot {
  return {
    keys: set.published,
    fetchedAt: set.fetchedAt,
    freshUntil: set.freshUntil,
    ...(set.etag === undefined ? {} : { etag: set.etag }),
    ...(set.lastModified === undefined ? {} : { lastModified: set.lastModified }),
    jwksUrl: set.jwksUrl,
  };
}
