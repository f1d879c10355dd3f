/**
 * The material every contender verifies: one signing key per algorithm, its public key set, and
 * a pool of distinct tokens minted at run time (no private key is stored in the repository).
 * Every contender receives the same pool, so differences come from the verifiers alone.
 */
import { makeKey, mint, type TestKey } from '../../test/fixtures/keys.ts';

/** The algorithms the figures cover: RSA PKCS#1, RSA-PSS, ECDSA P-256 and Ed25519. */
export const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type BenchAlgorithm = (typeof ALGORITHMS)[number];

/** The issuer and audience every bench token carries and every contender checks. */
export const ISSUER = 'https://issuer.bench.example/';
export const AUDIENCE = 'bench-api';
/** The key-set address handed to verifiers that want one; never contacted. */
export const JWKS_URL = 'https://issuer.bench.example/.well-known/jwks.json';

/** What one algorithm's run needs, in a form that can cross into workerd as JSON. */
export interface Suite {
  alg: BenchAlgorithm;
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** The public key set (one key, with `kid`, `use` and `alg`). */
  jwks: { keys: Record<string, unknown>[] };
  /** Distinct tokens: the cold path walks through them, the warm path repeats the first. */
  tokens: string[];
}

/**
 * Mints `poolSize` distinct tokens for `alg`. Each differs in `jti` and `sub`, so no cache keyed
 * on the token text can serve one from another. Tokens live for two hours: longer than any run.
 */
export async function makeSuite(alg: BenchAlgorithm, poolSize: number): Promise<Suite> {
  const key: TestKey = await makeKey(alg, `bench-${alg.toLowerCase()}`);
  const nowMs = Date.now();
  const tokens: string[] = [];
  for (let i = 0; i < poolSize; i++) {
    tokens.push(
      await mint(
        key,
        {
          iss: ISSUER,
          aud: AUDIENCE,
          sub: `user-${i}`,
          jti: `bench-${alg}-${i}-${nowMs}`,
          scope: 'read:items write:items',
          exp: Math.floor(nowMs / 1000) + 7200,
        },
        { nowMs },
      ),
    );
  }
  return {
    alg,
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: JWKS_URL,
    jwks: { keys: [key.publicJwk as Record<string, unknown>] },
    tokens,
  };
}
