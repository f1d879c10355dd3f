/**
 * This project's verifier as a bench contender: configured the way a user would (the four
 * environment variables), with the real key-set cache warmed once through an in-memory `fetch`
 * that serves the suite's key set. Nothing touches the network while the figures are taken, and
 * the counters say whether the provider was asked again and whether the token cache answered.
 */
import { createAuthorizer } from '../../shared/authorizer.ts';
import { loadConfig } from '../../shared/config/load.ts';
import { createKeySetCache } from '../../shared/jwks/cache.ts';
import type { AuthRequest, Runtime } from '../../shared/types.ts';
import type { Suite } from './fixtures.ts';

/** What the bench reads back after a run. */
export interface OursCounters {
  /** Key-set fetches (the warm-up makes the first). */
  fetches: number;
  /** Verifications served by the verified-token cache. */
  tokenCacheHits: number;
  /** Verifications through either entry point. */
  calls: number;
}

/** One entry point of this project for one suite, with its own authorizer and counters. */
export interface Ours {
  call(token: string): Promise<unknown>;
  counters: OursCounters;
  /** Verified-token cache capacity in effect: the cold pool must be larger. */
  tokenCacheEntries: number;
}

/** Which entry point: `verifyToken` alone, or `authorize` on a whole request. */
export type OursEntry = 'verify' | 'request';

/**
 * The request a client sends to a protected route: a GET with a bearer token. A class rather
 * than an object of arrow functions: under tsx (esbuild `keepNames`) each arrow made per call
 * is wrapped in a name-setting call that cost about 3 us in the Node figures, a cost of the
 * bench's own build that the Worker and Lambda bundles (built without `keepNames`) never pay.
 */
class BearerRequest implements AuthRequest {
  readonly method = 'GET';
  readonly path = '/api/items';
  readonly #authorization: string;

  constructor(token: string) {
    this.#authorization = `Bearer ${token}`;
  }

  header(name: string): string | null {
    return name.toLowerCase() === 'authorization' ? this.#authorization : null;
  }

  query(): string | null {
    return null;
  }
}

/**
 * Builds the project's authorizer for `suite`, one per entry point so their token caches stay
 * apart. `shareInFlight` follows the runtime (true on Node, false in workerd), as the adapters
 * set it.
 */
export async function makeOurs(
  suite: Suite,
  entry: OursEntry,
  shareInFlight: boolean,
): Promise<Ours> {
  const config = loadConfig({
    JWT_ISSUER: suite.issuer,
    JWT_AUDIENCE: suite.audience,
    JWKS_URL: suite.jwksUrl,
    JWT_ALGORITHMS: suite.alg,
  });
  const counters: OursCounters = { fetches: 0, tokenCacheHits: 0, calls: 0 };
  const body = JSON.stringify(suite.jwks);
  const runtime: Runtime = {
    now: () => Date.now(),
    fetch: async () => {
      counters.fetches++;
      return new Response(body, {
        headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' },
      });
    },
    shareInFlight,
  };
  const keys = createKeySetCache(config, runtime);
  const authorizer = createAuthorizer(config, runtime, keys);
  const issuer = config.issuers[0];
  if (issuer) await keys.refresh(issuer);

  const verify = async (token: string) => {
    const identity = await authorizer.verifyToken(token, 'bearer');
    counters.calls++;
    if (identity.cache === 'token') counters.tokenCacheHits++;
    return identity;
  };
  const request = async (token: string) => {
    const decision = await authorizer.authorize(new BearerRequest(token));
    counters.calls++;
    if (decision.outcome !== 'allow') {
      const reason = decision.outcome === 'deny' ? decision.error.code : decision.outcome;
      throw new Error(`request denied: ${reason}`);
    }
    if (decision.identity.cache === 'token') counters.tokenCacheHits++;
    return decision;
  };
  return {
    counters,
    tokenCacheEntries: config.tokenCacheEntries,
    call: entry === 'verify' ? verify : request,
  };
}
