/**
 * Property: whatever the environment holds, loading the configuration either succeeds or throws
 * one ConfigError naming an option that exists, with a fix; never a TypeError or a half-built
 * configuration.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/load.ts';
import { ConfigError } from '../../../shared/errors.ts';

const valid = {
  issuers: [
    {
      issuer: 'https://tenant.auth0.com/',
      provider: 'auth0',
      audiences: ['https://api.example.com'],
    },
    {
      issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
      provider: 'entra',
      audiences: 'api://x',
      tenants: '*',
    },
    {
      issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X',
      provider: 'cognito',
      tokenUse: 'access',
      clientIds: ['C1'],
    },
  ],
  routes: [
    { path: '/health', public: true },
    {
      methods: ['POST'],
      path: '/admin/**',
      scopes: ['admin'],
      scopesMatch: 'any',
      claims: { role: ['admin'] },
    },
  ],
  credentials: { bearer: true, cookie: '__session', maxTokenBytes: 8192 },
  forwardClaims: { email: 'X-Auth-Email' },
  corsOrigins: ['https://app.example.com'],
  cache: { defaultMaxAgeSeconds: 600 },
};

/** Replaces the value at a random path of `value` with `replacement`. */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return replacement;
  const [head, ...rest] = path;
  const index = head! % entries.length;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
    ? [...value]
    : { ...(value as object) };
  const key = entries[index]![0];
  (copy as Record<string, unknown>)[key] = mutate(entries[index]![1], rest, replacement);
  return copy;
}

function expectConfigErrorOrConfig(env: Record<string, unknown>): void {
  try {
    const config = loadConfig(env);
    expect(config.issuers.length).toBeGreaterThan(0);
    for (const issuer of config.issuers) {
      expect(issuer.issuer.trim()).not.toBe('');
      expect(issuer.algorithms.length).toBeGreaterThan(0);
      for (const alg of issuer.algorithms) expect(alg).not.toMatch(/^(HS|none)/i);
    }
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.option).toMatch(
      /^(AUTH_CONFIG|JWT_ISSUER|JWT_AUDIENCE|JWKS_URL|JWT_ALGORITHMS)/,
    );
    expect(configError.fix.length).toBeGreaterThan(0);
  }
}

describe('loadConfig over arbitrary input', () => {
  it('throws only ConfigError for mutated configurations', () => {
    const replacement = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom('', ' ', null, [], {}, 'HS256', '*', '{tenantid}', 'http://x', -1, 1.5, true),
    );
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 5 }),
        replacement,
        fc.boolean(),
        (path, value, asText) => {
          const mutated = mutate(valid, path, value);
          expectConfigErrorOrConfig({ AUTH_CONFIG: asText ? JSON.stringify(mutated) : mutated });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('throws only ConfigError for arbitrary environment values', () => {
    const envValue = fc.oneof(
      fc.string(),
      fc.jsonValue(),
      fc.constantFrom('', ' ', 'https://issuer.example/', 'RS256,HS256'),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            JWT_ISSUER: envValue,
            JWT_AUDIENCE: envValue,
            JWKS_URL: envValue,
            JWT_ALGORITHMS: envValue,
            AUTH_CONFIG: envValue,
          },
          { requiredKeys: [] },
        ),
        (env) => expectConfigErrorOrConfig(env),
      ),
      { numRuns: 1000 },
    );
  });
});
