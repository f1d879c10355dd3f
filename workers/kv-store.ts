/**
 * The Workers KV tier of the key-set cache: one JSON snapshot per key-set address, shared by
 * every isolate of the Worker, so a fresh isolate verifies without contacting the provider.
 * KV is an optimisation, never a dependency: a failed read is a miss and a failed write is
 * reported to the caller's hook, and neither ever fails a request.
 */
import { parseSnapshot } from '../shared/jwks/store-tier.ts';
import type { KeySetSnapshot, KeySetStore } from '../shared/types.ts';

/** Prefix of every key this store writes, so the namespace can be shared and inspected. */
export const KV_KEY_PREFIX = 'jwks:v1:';

/** Workers KV refuses keys longer than 512 bytes; longer addresses are hashed. */
const MAX_KV_KEY_BYTES = 512;

/** Workers KV refuses an `expirationTtl` under 60 seconds. */
const MIN_KV_TTL_SECONDS = 60;

/** Settings of {@link createKvStore}. */
export interface KvStoreOptions {
  /**
   * How long past freshness a snapshot is still useful (the cache's stale window). Entries
   * expire this long after they stop being fresh, plus a margin, so KV never drops a set the
   * cache could still serve.
   */
  staleWindowSeconds: number;
  /** Called when KV fails; the store then behaves as if it were empty. */
  onError?(operation: 'get' | 'put', error: unknown): void;
}

const encoder = new TextEncoder();

/** The KV key for a key-set address: readable when it fits, a SHA-256 digest when it does not. */
export async function kvKey(url: string): Promise<string> {
  const plain = `${KV_KEY_PREFIX}${url}`;
  if (encoder.encode(plain).byteLength <= MAX_KV_KEY_BYTES) return plain;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(url)));
  const hex = [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${KV_KEY_PREFIX}sha256:${hex}`;
}

/** Seconds KV keeps a snapshot: its fresh lifetime plus the stale window, plus one fresh span. */
export function expirationTtlSeconds(snapshot: KeySetSnapshot, staleWindowSeconds: number): number {
  const freshSeconds = Math.max(0, (snapshot.freshUntil - snapshot.fetchedAt) / 1000);
  // The extra fresh span covers a snapshot written late in its life by a slow isolate.
  const ttl = Math.ceil(2 * freshSeconds + staleWindowSeconds);
  return Math.max(MIN_KV_TTL_SECONDS, ttl);
}

/** A {@link KeySetStore} over a KV namespace binding. */
export function createKvStore(kv: KVNamespace, options: KvStoreOptions): KeySetStore {
  return {
    async get(url) {
      try {
        return parseSnapshot(await kv.get(await kvKey(url), 'json'));
      } catch (error) {
        // A KV outage or a value that is not JSON: behave as a miss and let the network tier work.
        options.onError?.('get', error);
        return undefined;
      }
    },

    async put(url, snapshot) {
      try {
        await kv.put(await kvKey(url), JSON.stringify(snapshot), {
          expirationTtl: expirationTtlSeconds(snapshot, options.staleWindowSeconds),
        });
      } catch (error) {
        // KV allows one write per key per second; a lost write only costs a later fetch.
        options.onError?.('put', error);
      }
    },
  };
}
