/**
 * The key-set cache: isolate memory, then the optional store tier, then the network, under the
 * policy of DESIGN.md "Key-set cache policy". It decides whether a request costs a network call:
 * fresh sets are served from memory, a failed refresh keeps the last good set for the stale
 * window, a failure is remembered for a while, unknown `kid`s cause at most one refetch per
 * cooldown, and concurrent callers share one fetch only where the runtime allows it.
 */
import { AuthError } from '../errors.ts';
import type {
  AuthConfig,
  CacheState,
  CacheStats,
  IssuerConfig,
  KeyLookup,
  KeySetCache,
  KeySetStatus,
  KeySetStore,
  Runtime,
} from '../types.ts';
import { discoveryUrl } from './discovery.ts';
import {
  createEntry,
  type Entry,
  type Failure,
  install,
  type LoadedSet,
  namedKeys,
  selectKeys,
  type UpdateSource,
} from './entry.ts';
import { fetchKeySet, type NetworkContext } from './network.ts';
import { readSnapshot, writeSnapshot } from './store-tier.ts';

/** The longest provider `Retry-After` honoured beyond `failureBackoffSeconds`. */
const MAX_RETRY_AFTER_SECONDS = 300;

/**
 * Creates the key-set cache for `config`'s issuers. It throws only {@link AuthError}s with
 * `key_unknown`, `key_set_unavailable` or `key_set_invalid`, and never logs: the adapters read
 * {@link KeySetCache.status} and {@link KeySetCache.stats} for their log lines.
 */
export function createKeySetCache(config: AuthConfig, runtime: Runtime): KeySetCache {
  const policy = config.cache;
  const entries = new Map<string, Entry>();
  const counters: CacheStats = {
    hits: 0,
    misses: 0,
    stale: 0,
    refreshed: 0,
    failed: 0,
    fetches: 0,
    storeHits: 0,
  };
  const network: NetworkContext = {
    fetch: runtime.fetch,
    now: () => runtime.now(),
    policy,
    onFetch: () => {
      counters.fetches += 1;
    },
  };

  const idOfIssuer = new WeakMap<IssuerConfig, string>();

  /** The entry of `issuer`'s key-set address (created on first use). */
  function entryOf(issuer: IssuerConfig): Entry {
    let id = idOfIssuer.get(issuer);
    if (id === undefined) {
      id = issuer.jwksUrl ?? discoveryUrl(issuer.issuer);
      idOfIssuer.set(issuer, id);
    }
    let entry = entries.get(id);
    if (!entry) {
      entry = createEntry(id);
      entries.set(id, entry);
    }
    return entry;
  }

  const isFresh = (set: LoadedSet | undefined, now: number): set is LoadedSet =>
    set !== undefined && now < set.freshUntil;
  const isUsable = (set: LoadedSet | undefined, now: number): set is LoadedSet =>
    set !== undefined && now < set.freshUntil + policy.staleWindowSeconds * 1000;
  const failureActive = (entry: Entry, now: number): boolean =>
    entry.failure !== undefined && now < entry.failure.until;

  /** Reads the store tier into memory when it holds a newer set than memory does. */
  async function fromStore(entry: Entry, store: KeySetStore): Promise<void> {
    const set = await readSnapshot(store, entry.id, { ...policy, now: runtime.now() });
    if (!set) return;
    counters.storeHits += 1;
    if (entry.set && entry.set.fetchedAt >= set.fetchedAt) return;
    // A stored set does not clear a failure this isolate saw; only a fetch does.
    const failure = entry.failure;
    install(entry, set);
    entry.failure = failure;
  }

  /**
   * Fetches from the network and installs the result; on failure remembers it and returns the
   * error. Never throws. `background` lets the store write use `waitUntil`.
   */
  async function fromNetwork(
    entry: Entry,
    issuer: IssuerConfig,
    background: boolean,
  ): Promise<AuthError | undefined> {
    entry.lastNetworkAt = runtime.now();
    try {
      const set = await fetchKeySet(network, entry, issuer);
      install(entry, set);
      if (runtime.store) {
        const write = writeSnapshot(runtime.store, entry.id, set);
        if (background && runtime.waitUntil) runtime.waitUntil(write);
        else await write;
      }
      return undefined;
    } catch (error) {
      counters.failed += 1;
      entry.failure = failureFrom(error, runtime.now());
      return entry.failure.error;
    }
  }

  function failureFrom(error: unknown, now: number): Failure {
    const authError =
      error instanceof AuthError
        ? error
        : new AuthError('key_set_unavailable', 'Key set fetch failed unexpectedly');
    const backoffSeconds = Math.max(
      policy.failureBackoffSeconds,
      Math.min(authError.detail.retryAfterSeconds ?? 0, MAX_RETRY_AFTER_SECONDS),
    );
    return { error: authError, at: now, until: now + backoffSeconds * 1000 };
  }

  /**
   * Brings the entry up to date: the store tier first, then the network. Where the runtime
   * shares, concurrent callers join one update; elsewhere each caller runs its own, so no
   * request ever awaits a promise another request created (a Workers rule).
   */
  function update(
    entry: Entry,
    issuer: IssuerConfig,
    kid: string | undefined,
  ): Promise<UpdateSource> {
    const run = async (): Promise<UpdateSource> => {
      const store = runtime.store;
      if (store) {
        await fromStore(entry, store);
        // Memory may also have been filled meanwhile by a concurrent caller's update.
        const set = entry.set;
        if (isFresh(set, runtime.now()) && namedKeys(set, kid).length > 0) return 'store';
      }
      return (await fromNetwork(entry, issuer, true)) ? 'failed' : 'network';
    };
    // Claimed before any await, so concurrent callers holding a stale set see it at once.
    entry.updateStartedAt = runtime.now();
    if (!runtime.shareInFlight) return run();
    if (!entry.inFlight) {
      entry.inFlight = run().finally(() => {
        entry.inFlight = undefined;
      });
    }
    return entry.inFlight;
  }

  /** The error for "no usable set": the remembered failure's, with how long to wait. */
  function unavailable(entry: Entry, issuer: IssuerConfig, now: number): AuthError {
    const failure = entry.failure;
    const retryAfterSeconds = failure
      ? Math.max(1, Math.ceil((failure.until - now) / 1000))
      : policy.failureBackoffSeconds;
    const code =
      failure?.error.code === 'key_set_invalid' ? 'key_set_invalid' : 'key_set_unavailable';
    const message = failure?.error.message ?? `No key set available for ${issuer.issuer}`;
    return new AuthError(code, message, { issuer: issuer.issuer, retryAfterSeconds });
  }

  function unknownKid(issuer: IssuerConfig, kid: string | undefined): AuthError {
    const named = kid === undefined ? '(none)' : JSON.stringify(kid);
    return new AuthError(
      'key_unknown',
      `No usable key with kid ${named} in the key set of ${issuer.issuer}`,
      kid === undefined ? { issuer: issuer.issuer } : { issuer: issuer.issuer, kid },
    );
  }

  /** Serves `kid` from `set`, counting the lookup as `state` when it finds keys. */
  function serve(
    set: LoadedSet,
    issuer: IssuerConfig,
    kid: string | undefined,
    state: CacheState,
  ): KeyLookup {
    const keys = selectKeys(set, kid);
    if (keys.length === 0) throw unknownKid(issuer, kid);
    const counter = state === 'hit' ? 'hits' : state === 'miss' ? 'misses' : state;
    counters[counter] += 1;
    return { keys, cache: state };
  }

  async function lookup(issuer: IssuerConfig, kid: string | undefined): Promise<KeyLookup> {
    const entry = entryOf(issuer);
    const now = runtime.now();
    const held = isUsable(entry.set, now) ? entry.set : undefined;

    if (isFresh(held, now)) {
      // A set whose keys carry no kid at all cannot learn a new one by refetching.
      if (namedKeys(held, kid).length > 0 || held.byKid.size === 0) {
        return serve(held, issuer, kid, 'hit');
      }
      // Unknown kid in a fresh set: one update per cooldown (OIDC Core §10.1.1, rotation). The
      // cooldown counts from this isolate's last fetch, so the first one after a cold start is
      // never blocked, and a flood of random kids costs at most one fetch per cooldown. It is
      // claimed before any await, so concurrent callers see it at once.
      if (!entry.inFlight) {
        if (!cooledDown(entry, now) || failureActive(entry, now)) {
          return serve(held, issuer, kid, 'hit');
        }
        entry.lastNetworkAt = now;
      }
    } else if (held && (failureActive(entry, now) || refreshUnderway(entry, now))) {
      return serve(held, issuer, kid, 'stale');
    } else if (failureActive(entry, now)) {
      throw unavailable(entry, issuer, now);
    }

    const source = await update(entry, issuer, kid);
    const after = runtime.now();
    const set = isUsable(entry.set, after) ? entry.set : undefined;
    if (!set) throw unavailable(entry, issuer, after);
    if (source === 'network') return serve(set, issuer, kid, held ? 'refreshed' : 'miss');
    return serve(set, issuer, kid, isFresh(set, after) ? 'hit' : 'stale');
  }

  function cooledDown(entry: Entry, now: number): boolean {
    const last = entry.lastNetworkAt;
    return last === undefined || now - last >= policy.unknownKidCooldownSeconds * 1000;
  }

  /**
   * Whether another caller started an update so recently that it may still be running. On a
   * runtime that does not share, a caller holding a stale set serves it instead of starting a
   * second fetch; after the fetch timeouts the update is over either way.
   */
  function refreshUnderway(entry: Entry, now: number): boolean {
    if (runtime.shareInFlight) return false;
    const started = entry.updateStartedAt;
    // Discovery and the key set each get one timeout, so an update ends within two.
    return started !== undefined && now - started < 2 * policy.fetchTimeoutSeconds * 1000;
  }

  /** Fetches now, whatever the freshness, and writes the store before resolving. */
  async function refresh(issuer: IssuerConfig): Promise<void> {
    const entry = entryOf(issuer);
    const error = await fromNetwork(entry, issuer, false);
    if (error) throw new AuthError(error.code, error.message, { issuer: issuer.issuer });
  }

  /**
   * The fresh-set branch of {@link lookup} that needs no update: the set in memory is fresh and
   * holds `kid` (or names no key at all). Anything else is left to `lookup`.
   */
  function held(issuer: IssuerConfig, kid: string | undefined): KeyLookup | undefined {
    const set = entryOf(issuer).set;
    if (!isFresh(set, runtime.now())) return undefined;
    if (namedKeys(set, kid).length === 0 && set.byKid.size > 0) return undefined;
    return serve(set, issuer, kid, 'hit');
  }

  function lookupFailed(error: unknown, issuer: IssuerConfig): AuthError {
    if (error instanceof AuthError) return error;
    return new AuthError('key_set_unavailable', `Key set lookup failed for ${issuer.issuer}`, {
      issuer: issuer.issuer,
    });
  }

  return {
    async getKeys(issuer, kid) {
      try {
        return await lookup(issuer, kid);
      } catch (error) {
        throw lookupFailed(error, issuer);
      }
    },

    heldKeys(issuer, kid) {
      try {
        return held(issuer, kid);
      } catch (error) {
        throw lookupFailed(error, issuer);
      }
    },

    hasKey(issuer, kid) {
      let entry: Entry;
      try {
        entry = entryOf(issuer);
      } catch {
        return false;
      }
      const set = entry.set;
      return isUsable(set, runtime.now()) && selectKeys(set, kid).length > 0;
    },

    refresh,

    async refreshAll() {
      // One refresh per address, all at once: issuers sharing a key set share its fetch.
      const byAddress = new Map<string, Promise<void>>();
      const outcomes = config.issuers.map(async (issuer) => {
        try {
          const id = entryOf(issuer).id;
          let pending = byAddress.get(id);
          if (!pending) {
            pending = refresh(issuer);
            byAddress.set(id, pending);
          }
          await pending;
          return { issuer: issuer.issuer, ok: true };
        } catch (error) {
          const code = error instanceof AuthError ? error.code : 'key_set_unavailable';
          return { issuer: issuer.issuer, ok: false, code };
        }
      });
      return Promise.all(outcomes);
    },

    stats() {
      return { ...counters };
    },

    status(issuer): KeySetStatus {
      let entry: Entry | undefined;
      try {
        entry = entryOf(issuer);
      } catch {
        entry = undefined;
      }
      const set = entry?.set;
      const failure = entry?.failure;
      return {
        jwksUrl: issuer.jwksUrl ?? set?.jwksUrl ?? entry?.discovered?.url,
        fetchedAt: set?.fetchedAt,
        freshUntil: set?.freshUntil,
        usableKeys: set?.keys.length ?? 0,
        skipped: set?.skipped ?? [],
        generation: entry?.generation ?? 0,
        lastFailure: failure
          ? { code: failure.error.code, message: failure.error.message, at: failure.at }
          : undefined,
      };
    },
  };
}
