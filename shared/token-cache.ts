/**
 * A bounded cache of verified tokens, served for the exact token string only, so a repeated token
 * costs a map lookup and two comparisons instead of a signature check. Each entry keeps the
 * window in which the token is valid (its `exp`, `nbf`, `iat` and maximum age, widened by the
 * issuer's clock tolerance exactly as `jose` widens them); a hit outside the window, or whose
 * key has left the issuer's key set, is dropped and the token is verified afresh.
 */
import type { Identity, KeySource } from './types.ts';

interface Entry {
  /** The map key: the token's tail ({@link keyOf}). */
  readonly key: string;
  /** The exact token; the map key is only its tail. */
  readonly token: string;
  /** The identity as first verified, with `cache: 'token'`. */
  readonly identity: Identity;
  /** Valid while `fromSeconds <= now < untilSeconds` (epoch seconds, `now` floored like jose). */
  readonly fromSeconds: number;
  readonly untilSeconds: number;
}

/** Characters at the end of a token that key the map: the tail of its signature. */
const KEY_CHARACTERS = 32;

/**
 * The map key of a token. Hashing a whole token (hundreds of characters, a new string on every
 * request) cost about 1 us per lookup; its signature's last 32 characters (192 bits) are as
 * distinct, hash in a fraction of that, and a hit still requires the whole token to be equal.
 * Two verified tokens with the same tail only share a slot, the later one replacing the earlier.
 * The whole-token comparison is reached only by a token that already ends like a cached one,
 * 192 bits of a signature nobody else has seen.
 */
function keyOf(token: string): string {
  return token.length > KEY_CHARACTERS ? token.slice(-KEY_CHARACTERS) : token;
}

/** The verified-token cache of one authorizer. */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  /**
   * Entries in the order they were stored, oldest first from `#head`; a slot whose entry is no
   * longer the map's (dropped, or stored again later) is skipped. Eviction reads this instead of
   * the map's own order: a new iterator over a map whose front is a run of deleted slots walks
   * that whole run, which cost about 1 us per verification once the cache was full.
   */
  #order: (Entry | undefined)[] = [];
  #head = 0;

  /** `maxEntries` 0 disables the cache. */
  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** Number of cached tokens. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The cached identity for `token` if it is still valid at `nowMs` and its key is still
   * published; otherwise `undefined` (and the entry is forgotten).
   */
  get(
    token: string,
    nowMs: number,
    keys: KeySource,
    source: Identity['source'],
  ): Identity | undefined {
    const key = keyOf(token);
    const entry = this.#entries.get(key);
    // Only the exact token is served: another token ending the same way is a miss.
    if (entry === undefined || entry.token !== token) return undefined;
    const now = Math.floor(nowMs / 1000);
    const { identity } = entry;
    if (
      now < entry.fromSeconds ||
      now >= entry.untilSeconds ||
      !keys.hasKey(identity.issuer, identity.kid)
    ) {
      this.#entries.delete(key);
      return undefined;
    }
    return identity.source === source ? identity : { ...identity, source };
  }

  /** Remembers a freshly verified identity; the oldest entry goes when the cache is full. */
  set(token: string, identity: Identity): void {
    if (this.#maxEntries === 0) return;
    const { fromSeconds, untilSeconds } = validityWindow(identity);
    const key = keyOf(token);
    const entries = this.#entries;
    const order = this.#order;
    entries.delete(key);
    // Every entry in the map has its slot at or after `#head`, so this ends before the slots do.
    while (entries.size >= this.#maxEntries && this.#head < order.length) {
      const oldest = order[this.#head];
      order[this.#head++] = undefined;
      if (oldest !== undefined && entries.get(oldest.key) === oldest) entries.delete(oldest.key);
    }
    const entry: Entry = {
      key,
      token,
      identity: { ...identity, cache: 'token' },
      fromSeconds,
      untilSeconds,
    };
    entries.set(key, entry);
    order.push(entry);
    // Spent and skipped slots are dropped once they outnumber the cache, so the order list
    // stays within a small multiple of it, at a cost spread over at least that many stores.
    if (order.length - entries.size > this.#maxEntries) this.#compact();
  }

  /** Keeps only the slots of entries still in the map, in their order. */
  #compact(): void {
    const entries = this.#entries;
    const live: Entry[] = [];
    for (let i = this.#head; i < this.#order.length; i++) {
      const entry = this.#order[i];
      if (entry !== undefined && entries.get(entry.key) === entry) live.push(entry);
    }
    this.#order = live;
    this.#head = 0;
  }

  /** Forgets every entry (configuration reload, tests). */
  clear(): void {
    this.#entries.clear();
    this.#order = [];
    this.#head = 0;
  }
}

/**
 * The seconds in which `jose` would accept the token's time claims, for a `now` floored to
 * whole seconds: `exp <= now - tolerance` is expired, `nbf > now + tolerance` not yet valid,
 * `iat > now + tolerance` issued in the future, and with a maximum age
 * `now - iat - tolerance > max` too old. The claims were type-checked before verification.
 */
export function validityWindow(identity: Identity): { fromSeconds: number; untilSeconds: number } {
  const { payload, issuer } = identity;
  const tolerance = issuer.clockToleranceSeconds;
  let from = Number.NEGATIVE_INFINITY;
  let until = (payload.exp as number) + tolerance;
  if (typeof payload.nbf === 'number') from = payload.nbf - tolerance;
  if (typeof payload.iat === 'number') {
    // Verification refuses `iat > now + tolerance`; for an integer `now` the complement is
    // `now >= ceil(iat - tolerance)`.
    from = Math.max(from, Math.ceil(payload.iat - tolerance));
    const maxAge = issuer.maxTokenAgeSeconds;
    // `now <= iat + max + tolerance` for integer `now` is `now < floor(...) + 1`.
    if (maxAge !== undefined)
      until = Math.min(until, Math.floor(payload.iat + maxAge + tolerance) + 1);
  }
  return { fromSeconds: from, untilSeconds: until };
}
