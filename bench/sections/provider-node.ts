/**
 * Whether the provider is on the request path, in Node: the real key-set cache fetching from the
 * loopback provider, counted by the provider itself.
 *
 * - steady: one request (the first fetch), then many more distinct tokens: no further request;
 *   then the clock moves past the set's freshness: one refresh; then fresh again: none.
 * - stampede: 1000 concurrent requests on a cold instance (the provider answers slowly, so they
 *   all arrive while the first fetch is in flight): one request.
 *
 * These are counts, not timings; the clock is controlled, nothing sleeps.
 */
import { createAuthorizer } from '../../shared/authorizer.ts';
import { loadConfig } from '../../shared/config/load.ts';
import { createKeySetCache } from '../../shared/jwks/cache.ts';
import type { AuthRequest, Runtime } from '../../shared/types.ts';
import type { GateWorld } from '../lib/loopback.ts';

/** Provider request counts. */
export interface ProviderNodeResult {
  /** Requests for the first verification (expected: 1). */
  first: number;
  /** Requests for the next `steadyRequests` verifications (expected: 0). */
  steady: number;
  steadyRequests: number;
  /** Requests for one verification after the set went stale (expected: 1). */
  afterStale: number;
  /** Requests for the verifications after that refresh (expected: 0). */
  afterRefresh: number;
  /** Requests for `stampedeRequests` concurrent verifications on a cold instance (expected: 1). */
  stampede: number;
  stampedeRequests: number;
  /** Requests of the stampede that were allowed (all of them, or the count means nothing). */
  stampedeAllowed: number;
}

function request(token: string): AuthRequest {
  const authorization = `Bearer ${token}`;
  return {
    method: 'GET',
    path: '/api/items',
    header: (name) => (name.toLowerCase() === 'authorization' ? authorization : null),
    query: () => null,
  };
}

/** Builds an authorizer on the loopback provider, with the clock read from `clock.ms`. */
function build(world: GateWorld, clock: { ms: number }) {
  const config = loadConfig({
    JWT_ISSUER: world.bindings.JWT_ISSUER,
    JWT_AUDIENCE: world.bindings.JWT_AUDIENCE,
    JWKS_URL: world.bindings.JWKS_URL,
    JWT_ALGORITHMS: world.bindings.JWT_ALGORITHMS,
  });
  const runtime: Runtime = { now: () => clock.ms, fetch: globalThis.fetch, shareInFlight: true };
  return createAuthorizer(config, runtime, createKeySetCache(config, runtime));
}

/** Counts provider requests in the steady state and in a cold stampede. */
export async function runProviderNode(
  world: GateWorld,
  stampedeRequests: number,
): Promise<ProviderNodeResult> {
  const tokens = world.suite.tokens;
  const count = () => world.provider.count('/jwks.json');
  const clock = { ms: Date.now() };
  const authorizer = build(world, clock);

  let mark = count();
  const expectAllow = async (token: string) => {
    const decision = await authorizer.authorize(request(token));
    if (decision.outcome !== 'allow') throw new Error(`provider bench: ${decision.outcome}`);
  };
  await expectAllow(tokens[0] as string);
  const first = count() - mark;

  // Keep fresh tokens back for after the clock moves: a token verified before is answered by
  // the verified-token cache and would never ask for keys.
  const steadyTokens = tokens.slice(1, -50);
  const laterTokens = tokens.slice(-50);
  mark = count();
  for (const token of steadyTokens) await expectAllow(token);
  const steady = count() - mark;

  // Past the freshness the provider's max-age (600 s) gives, inside the stale window.
  clock.ms += 601_000;
  mark = count();
  await expectAllow(laterTokens[0] as string);
  // A background refresh may still be in flight: let pending I/O settle before counting.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const afterStale = count() - mark;
  mark = count();
  for (const token of laterTokens.slice(1)) await expectAllow(token);
  const afterRefresh = count() - mark;

  // Cold instance; the provider answers after 100 ms so every request arrives during the fetch.
  const body = { keys: world.suite.jwks.keys };
  world.provider.route('/jwks.json', {
    body,
    delayMs: 100,
    headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=600' },
  });
  const cold = build(world, { ms: Date.now() });
  mark = count();
  const decisions = await Promise.all(
    Array.from({ length: stampedeRequests }, (_, i) =>
      cold.authorize(request(tokens[i % tokens.length] as string)),
    ),
  );
  const stampede = count() - mark;
  world.provider.route('/jwks.json', {
    body,
    headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=600' },
  });

  return {
    first,
    steady,
    steadyRequests: steadyTokens.length,
    afterStale,
    afterRefresh,
    stampede,
    stampedeRequests,
    stampedeAllowed: decisions.filter((d) => d.outcome === 'allow').length,
  };
}
