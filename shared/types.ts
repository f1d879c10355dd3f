/**
 * The shapes that connect the parts of the core: the validated configuration, the key-set
 * source that verification reads keys from, the store tier, and the injected dependencies.
 * Everything here is data or an interface; the behaviour lives in the files that implement it.
 */
import type { JWTHeaderParameters, JWTPayload } from 'jose';
import type { AuthError } from './errors.ts';

/** Provider profiles: each adds the checks its provider needs on top of the generic ones. */
export type ProviderName =
  | 'generic'
  | 'auth0'
  | 'clerk'
  | 'cognito'
  | 'entra'
  | 'okta'
  | 'google'
  | 'keycloak'
  | 'supabase'
  | 'cloudflare-access';

/** Profile-specific settings, already validated. Absent members mean "no such check". */
export interface ProfileSettings {
  /** Cognito: which token kind is accepted. */
  tokenUse?: 'access' | 'id';
  /** Cognito access tokens: accepted `client_id` values (they carry no `aud`). */
  clientIds?: readonly string[];
  /** Clerk: accepted `azp` values; also the origins allowed to send the session cookie. */
  authorizedParties?: readonly string[];
  /** Entra: accepted tenant ids (`tid`); `'*'` only when any tenant was explicitly allowed. */
  tenants?: readonly string[] | '*';
}

/** One trusted issuer, validated and normalised. */
export interface IssuerConfig {
  /** The exact `iss` value; for Entra may contain the `{tenantid}` template. */
  readonly issuer: string;
  readonly provider: ProviderName;
  /** Key-set address; `undefined` means "discover from `${issuer}/.well-known/openid-configuration`". */
  readonly jwksUrl: string | undefined;
  /** Accepted audiences; empty only for profiles that check something else (Cognito access). */
  readonly audiences: readonly string[];
  /** Accepted JWS algorithms; never symmetric, never `none`. */
  readonly algorithms: readonly string[];
  readonly clockToleranceSeconds: number;
  /** `undefined`: no maximum age. */
  readonly maxTokenAgeSeconds: number | undefined;
  /** Expected `typ` header (`JWT`, `at+jwt`), compared as RFC 8725 §3.11 says; `undefined`: any. */
  readonly typ: string | undefined;
  /** Claims that must be present besides `exp`. */
  readonly requiredClaims: readonly string[];
  readonly profile: ProfileSettings;
}

/** What a route asks of the request. */
export type Requirement =
  | { readonly kind: 'public' }
  | {
      readonly kind: 'token';
      /** Scopes from `scope` (space-separated) or `scp` (string or array). */
      readonly scopes: readonly string[];
      readonly scopesMatch: 'all' | 'any';
      /** Claim name to accepted values; the claim (or one of its array items) must be one. */
      readonly claims: Readonly<Record<string, readonly (string | number | boolean)[]>>;
    };

/** One ordered route rule. First match wins; no match means a valid token is required. */
export interface RouteRule {
  /** Upper-case methods, or `['*']`. */
  readonly methods: readonly string[];
  /** Path pattern: literal segments, `*` for one segment, a trailing `**` for any rest. */
  readonly path: string;
  readonly require: Requirement;
  /** Allow the token in this query parameter on this route (off unless set). */
  readonly queryParameter: string | undefined;
}

/** Where credentials are read from. */
export interface CredentialSettings {
  /** Read `Authorization: Bearer`. */
  readonly bearer: boolean;
  /** Cookie name to read when there is no `Authorization` header (Clerk: `__session`). */
  readonly cookie: string | undefined;
  /** A header that carries the bare token (Cloudflare Access: `Cf-Access-Jwt-Assertion`). */
  readonly header: string | undefined;
  /** Tokens longer than this many bytes are rejected before decoding. */
  readonly maxTokenBytes: number;
}

/** Key-set cache policy (DESIGN.md, "Key-set cache policy"). All durations in seconds. */
export interface CachePolicy {
  /** Freshness when the response has no usable `Cache-Control`/`Expires`. */
  readonly defaultMaxAgeSeconds: number;
  /** Lower clamp on the provider's `max-age` (so `no-cache` does not mean a fetch per request). */
  readonly minMaxAgeSeconds: number;
  /** Upper clamp on the provider's `max-age`. */
  readonly maxMaxAgeSeconds: number;
  /** How long past freshness the last good set is still served when refreshes fail. */
  readonly staleWindowSeconds: number;
  /** How long a failed fetch is remembered before the next attempt. */
  readonly failureBackoffSeconds: number;
  /** Minimum gap between refetches caused by unknown `kid`s, per issuer. */
  readonly unknownKidCooldownSeconds: number;
  /** Per-fetch timeout. */
  readonly fetchTimeoutSeconds: number;
  /** Response size cap in bytes. */
  readonly maxResponseBytes: number;
}

/** The whole validated configuration. */
export interface AuthConfig {
  readonly issuers: readonly IssuerConfig[];
  readonly routes: readonly RouteRule[];
  readonly credentials: CredentialSettings;
  /** Claim name to the header it is forwarded in (Worker) or the `context` key (Lambda). */
  readonly forwardClaims: Readonly<Record<string, string>>;
  /** Names of the identity headers the Worker sets (and strips from clients). */
  readonly identityHeaders: { readonly subject: string; readonly issuer: string };
  /** Whether the Worker passes the original `Authorization` header to the origin. */
  readonly forwardAuthorization: boolean;
  /** Origins allowed by CORS (preflight answers and CORS headers on 401); empty: none. */
  readonly corsOrigins: readonly string[];
  /** The `realm` of `WWW-Authenticate` challenges. */
  readonly realm: string;
  readonly cache: CachePolicy;
  /** Verified-token cache size; 0 disables it. */
  readonly tokenCacheEntries: number;
}

/** A public key ready for `jose`, with the facts needed to choose it. */
export interface UsableKey {
  readonly kid: string | undefined;
  readonly kty: string;
  /** The key's own `alg`, if it declares one. */
  readonly alg: string | undefined;
  /** `crv` for EC and OKP keys. */
  readonly crv: string | undefined;
  /** The public JWK exactly as published (import happens lazily per algorithm). */
  readonly jwk: Readonly<Record<string, unknown>>;
}

/** How a key lookup was served, for logs and tests. */
export type CacheState = 'hit' | 'miss' | 'stale' | 'refreshed';

/** What a key lookup returns. */
export interface KeyLookup {
  /** Keys whose `kid` matches (or all usable keys when the token names no `kid`). */
  readonly keys: readonly UsableKey[];
  readonly cache: CacheState;
}

/**
 * Where verification gets keys from. The key-set cache implements it; tests may pass a fixed
 * set. Implementations throw {@link AuthError} with `key_unknown`, `key_set_unavailable` or
 * `key_set_invalid`, and nothing else.
 */
export interface KeySource {
  /**
   * Usable keys of `issuer` for `kid`. An unknown `kid` may cause one rate-limited refetch.
   * `issuer` is the configured issuer (template form for Entra).
   */
  getKeys(issuer: IssuerConfig, kid: string | undefined): Promise<KeyLookup>;
  /**
   * The lookup `getKeys` would return when the issuer's set in memory answers it as is (fresh,
   * and holding `kid`), without any update; `undefined` otherwise. Optional: lets verification
   * skip a promise on the common path.
   */
  heldKeys?(issuer: IssuerConfig, kid: string | undefined): KeyLookup | undefined;
  /** Whether `kid` is still in the issuer's in-memory set: lets the token cache forget keys. */
  hasKey(issuer: IssuerConfig, kid: string | undefined): boolean;
}

/** A serialisable key-set snapshot, as the store tier (Workers KV) keeps it. */
export interface KeySetSnapshot {
  /** The key-set document as fetched (the `keys` array of JWKs). */
  readonly keys: readonly Readonly<Record<string, unknown>>[];
  /** Epoch milliseconds. */
  readonly fetchedAt: number;
  /** Epoch milliseconds until which the set is fresh. */
  readonly freshUntil: number;
  readonly etag?: string;
  readonly lastModified?: string;
  /** The key-set address the keys came from, when it was discovered (OIDC discovery). */
  readonly jwksUrl?: string;
  /** For a discovered set: the issuer whose discovery document named `jwksUrl`. */
  readonly issuer?: string;
}

/** The optional shared tier between memory and network (Workers KV). */
export interface KeySetStore {
  get(url: string): Promise<KeySetSnapshot | undefined>;
  put(url: string, snapshot: KeySetSnapshot): Promise<void>;
}

/** Injected dependencies: the core never reaches for globals, so tests control all of them. */
export interface Runtime {
  /** Current time in epoch milliseconds. */
  now(): number;
  fetch: typeof fetch;
  /** Optional store tier. */
  store?: KeySetStore;
  /**
   * Runs background work the request should not wait for (Workers: `ctx.waitUntil`).
   * When absent the work is awaited inline.
   */
  waitUntil?(promise: Promise<unknown>): void;
  /**
   * Whether concurrent requests may await one shared in-flight fetch. True on Node and Lambda
   * (one fetch for a cold stampede); false on Workers, where a request must never await a
   * promise created by another request.
   */
  readonly shareInFlight: boolean;
}

/** Counters of the key-set cache, for logs, tests and benchmarks. */
export interface CacheStats {
  hits: number;
  misses: number;
  stale: number;
  refreshed: number;
  failed: number;
  /** Network fetches started (key sets and discovery documents). */
  fetches: number;
  /** Store-tier reads that returned a snapshot. */
  storeHits: number;
}

/** A key the cache left out of a fetched set, and why (for the adapters' log lines). */
export interface SkippedKey {
  readonly kid: string | undefined;
  readonly reason: string;
}

/** What the cache knows about one issuer's key set, for the adapters' log lines. */
export interface KeySetStatus {
  /** The key-set address in use (discovered or configured); `undefined` before discovery. */
  readonly jwksUrl: string | undefined;
  /** Epoch milliseconds of the set in memory; `undefined` when there is none. */
  readonly fetchedAt: number | undefined;
  readonly freshUntil: number | undefined;
  readonly usableKeys: number;
  /** Keys skipped from the set in memory. Log them when `generation` changes. */
  readonly skipped: readonly SkippedKey[];
  /** Incremented each time a set is installed in memory (network, store or revalidation). */
  readonly generation: number;
  /** The last failed fetch, while remembered and after; cleared by the next success. */
  readonly lastFailure:
    | { readonly code: string; readonly message: string; readonly at: number }
    | undefined;
}

/** The key-set cache: a {@link KeySource} with refresh control for the scheduled handler. */
export interface KeySetCache extends KeySource {
  /** Fetches the issuer's set now (discovering its address if needed) and updates every tier. */
  refresh(issuer: IssuerConfig): Promise<void>;
  /** Refreshes every configured issuer; failures are collected, not thrown one by one. */
  refreshAll(): Promise<{ issuer: string; ok: boolean; code?: string }[]>;
  stats(): Readonly<CacheStats>;
  /** The issuer's key-set state: skipped keys and the last failure reason, for log lines. */
  status(issuer: IssuerConfig): KeySetStatus;
}

/** A token that verified, with what the adapters need. */
export interface Identity {
  readonly issuer: IssuerConfig;
  /** The token's `iss` (concrete, for Entra). */
  readonly iss: string;
  readonly subject: string | undefined;
  readonly payload: JWTPayload;
  readonly header: JWTHeaderParameters;
  readonly kid: string | undefined;
  /** Scopes from `scope` or `scp`. */
  readonly scopes: readonly string[];
  /** Where the credential came from. */
  readonly source: 'bearer' | 'cookie' | 'header' | 'query';
  /** `token` when served by the verified-token cache, else the key lookup's state. */
  readonly cache: CacheState | 'token';
}

/** The result of checking one request. */
export type Decision =
  | { readonly outcome: 'public'; readonly rule: RouteRule | undefined }
  | { readonly outcome: 'preflight'; readonly rule: RouteRule | undefined }
  | { readonly outcome: 'allow'; readonly rule: RouteRule | undefined; readonly identity: Identity }
  | {
      readonly outcome: 'deny';
      readonly rule: RouteRule | undefined;
      readonly error: AuthError;
      /** Present when the token verified but the route's requirement failed. */
      readonly identity?: Identity;
    };

/** The platform-neutral view of a request that the core decides on. */
export interface AuthRequest {
  /** Upper-case method. */
  readonly method: string;
  /** The path, percent-decoding left as received. */
  readonly path: string;
  /** Case-insensitive header lookup; joined values as `Headers.get` returns them. */
  header(name: string): string | null;
  /** Query parameter lookup, for routes that allow a query credential. */
  query(name: string): string | null;
}
