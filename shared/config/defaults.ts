/**
 * Every default of the configuration in one place, so the loader fills them in and the
 * documentation tools print the same values the code uses.
 */
import type { CachePolicy, CredentialSettings, ProviderName } from '../types.ts';

/**
 * The asymmetric JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864 for `Ed25519`) the
 * verifier accepts when an issuer names none. Symmetric `HS*` and `none` are never accepted:
 * a key set publishes public keys, and an HMAC keyed with public bytes proves nothing (C01).
 */
export const DEFAULT_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);

/** Algorithms that may be configured: exactly the defaults (no symmetric, no `none`). */
export const SUPPORTED_ALGORITHMS: ReadonlySet<string> = new Set(DEFAULT_ALGORITHMS);

/**
 * Whether `alg` is `none` or an HMAC (`HS256` ...), in any case: refused in a token header and in
 * the configuration alike, since a key set holds public keys and an HMAC keyed with public bytes
 * proves nothing (RFC 8725 §3.1-3.2, C01).
 */
export function isSymmetricOrNone(alg: string): boolean {
  return alg.toLowerCase() === 'none' || /^HS\d+$/i.test(alg);
}

/** Provider profiles that may be named in `provider`. */
export const PROVIDERS: readonly ProviderName[] = Object.freeze([
  'generic',
  'auth0',
  'clerk',
  'cognito',
  'entra',
  'okta',
  'google',
  'keycloak',
  'supabase',
  'cloudflare-access',
] as const);

/** The Entra issuer template placeholder (OpenID discovery of the `common` endpoints). */
export const TENANT_TEMPLATE = '{tenantid}';

/** Defaults of the whole configuration; the README's configuration table is printed from it. */
export const CONFIG_DEFAULTS = Object.freeze({
  issuer: Object.freeze({
    provider: 'generic' as ProviderName,
    algorithms: DEFAULT_ALGORITHMS,
    clockToleranceSeconds: 30,
    allowAnyAudience: false,
    requiredClaims: Object.freeze([]) as readonly string[],
  }),
  credentials: Object.freeze({
    bearer: true,
    cookie: undefined,
    header: undefined,
    maxTokenBytes: 8192,
  }) satisfies CredentialSettings,
  forwardClaims: Object.freeze({}) as Readonly<Record<string, string>>,
  identityHeaders: Object.freeze({ subject: 'X-Auth-Subject', issuer: 'X-Auth-Issuer' }),
  forwardAuthorization: false,
  corsOrigins: Object.freeze([]) as readonly string[],
  realm: 'api',
  cache: Object.freeze({
    defaultMaxAgeSeconds: 600,
    minMaxAgeSeconds: 60,
    maxMaxAgeSeconds: 86_400,
    staleWindowSeconds: 43_200,
    failureBackoffSeconds: 30,
    unknownKidCooldownSeconds: 30,
    fetchTimeoutSeconds: 5,
    maxResponseBytes: 524_288,
  }) satisfies CachePolicy,
  tokenCacheEntries: 1000,
});
