/**
 * The key-set cache and its parts: the cache itself, OIDC discovery, the bounded fetch, the
 * freshness rules and the key-set parser, for the adapters, tools and tests.
 */
export { createKeySetCache } from './cache.ts';
export { addressProblem, discoveryUrl, jwksUriFromDiscovery } from './discovery.ts';
export { type FetchOptions, type FetchResult, fetchBounded } from './fetch.ts';
export {
  type Freshness,
  type FreshnessSource,
  freshnessOf,
  retryAfterSeconds,
} from './freshness.ts';
export { keysFrom, type ParsedKeySet, parseKeySetDocument } from './parse.ts';
export { classifyKey, type KeyVerdict } from './usable.ts';
