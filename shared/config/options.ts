/**
 * How to fix a mistake in each option. The loader quotes the fix in every ConfigError, in the
 * Worker and the Lambda as in `check-config`; what each option means is documentation only and
 * lives in `help.ts`, so it is not shipped in the bundles. Keys are option paths with array
 * indices written as `[]` (`issuers[].audiences`).
 */
import { DEFAULT_ALGORITHMS, PROVIDERS } from './defaults.ts';

/** What to change when a value is wrong, for every option of the environment and `AUTH_CONFIG`. */
export const OPTION_FIXES = {
  JWT_ISSUER:
    'set JWT_ISSUER to the issuer URL your tokens carry in `iss`, e.g. https://tenant.auth0.com/',
  JWT_AUDIENCE:
    'set JWT_AUDIENCE to the API identifier(s) your tokens carry in `aud`, comma-separated',
  JWKS_URL: 'set JWKS_URL to the https address of the JWK Set, or remove it to use discovery',
  JWT_ALGORITHMS:
    'list asymmetric JWS algorithms such as RS256,ES256, or remove it for the default',
  AUTH_CONFIG:
    'set AUTH_CONFIG to a JSON object such as {"issuers":[{"issuer":"https://...","audiences":["..."]}]}',
  issuers: 'give `issuers` as an array of issuer objects, or set JWT_ISSUER',
  'issuers[]': 'write the issuer as an object with at least `issuer` and `audiences`',
  'issuers[].issuer':
    'set `issuer` to the exact `iss` your tokens carry (copy it from the discovery document)',
  'issuers[].provider': `use one of ${PROVIDERS.join(', ')}`,
  'issuers[].audiences':
    'set `audiences` to the API identifier(s) your tokens carry in `aud`, or set `allowAnyAudience: true` to opt out explicitly',
  'issuers[].allowAnyAudience':
    'set `allowAnyAudience` to true or false, and do not combine true with `audiences`',
  'issuers[].jwksUrl':
    'use an https address (http only for 127.0.0.1, localhost or [::1]), or remove it to use discovery',
  'issuers[].algorithms': `list asymmetric algorithms (${DEFAULT_ALGORITHMS.join(' ')}), or remove it for all of them`,
  'issuers[].clockToleranceSeconds': 'use a whole number of seconds from 0 to 300',
  'issuers[].maxTokenAgeSeconds': 'use a positive whole number of seconds, or remove it',
  'issuers[].typ': 'set `typ` to the header value your tokens carry (e.g. "at+jwt"), or remove it',
  'issuers[].requiredClaims': 'list claim names as non-empty strings, e.g. ["sub"]',
  'issuers[].tokenUse': 'set `tokenUse` to "access" (with `clientIds`) or "id" (with `audiences`)',
  'issuers[].clientIds': 'list your Cognito app client ids in `clientIds`',
  'issuers[].authorizedParties': 'list your front-end origins, e.g. ["https://app.example.com"]',
  'issuers[].tenants':
    'list tenant GUIDs in `tenants`, or set it to "*" to accept any tenant explicitly',
  routes: 'give `routes` as an array of {"path": "...", ...} objects',
  'routes[]':
    'write the rule as an object with `path` and optionally `method(s)`, `public`, `scopes`, `claims`',
  'routes[].path':
    'start the pattern with "/", use `*` for a whole segment and `**` only as the last segment',
  'routes[].method': 'use an HTTP method such as "GET", or "*", and not together with `methods`',
  'routes[].methods': 'list HTTP methods such as ["GET", "POST"], and not together with `method`',
  'routes[].public':
    'set `public` to true or false, and do not combine true with `scopes` or `claims`',
  'routes[].scopes': 'list scope names as non-empty strings',
  'routes[].scopesMatch': 'set `scopesMatch` to "all" or "any"',
  'routes[].claims': 'write `claims` as {"claim": ["value", ...]}',
  'routes[].queryParameter': 'name the query parameter, e.g. "access_token"',
  credentials:
    'write `credentials` as {"bearer": true, "cookie": "__session", ...} with at least one source',
  'credentials.bearer': 'set `bearer` to true or false',
  'credentials.cookie': 'name the cookie with token characters only, e.g. "__session"',
  'credentials.header': 'name a header with token characters only, e.g. "Cf-Access-Jwt-Assertion"',
  'credentials.maxTokenBytes': 'use a whole number of bytes from 256 to 65536',
  forwardClaims: 'write `forwardClaims` as {"email": "X-Auth-Email"} with header-name values',
  identityHeaders:
    'write `identityHeaders` as {"subject": "X-Auth-Subject", "issuer": "X-Auth-Issuer"}',
  forwardAuthorization: 'set `forwardAuthorization` to true or false',
  corsOrigins:
    'list origins as scheme://host[:port] without a path, e.g. ["https://app.example.com"]',
  realm: 'use a short name without quotes or backslashes',
  cache: 'write `cache` as an object of the documented numeric options',
  tokenCacheEntries: 'use a whole number from 0 to 1000000',
} as const satisfies Record<string, string>;

/** An option path pattern with a documented fix (`issuers[].audiences`). */
export type OptionPattern = keyof typeof OPTION_FIXES;

const CACHE_FIX =
  'use a positive whole number (seconds or bytes), with minMaxAgeSeconds <= defaultMaxAgeSeconds <= maxMaxAgeSeconds';

/** The pattern of an option path: `AUTH_CONFIG.issuers[2].audiences` → `issuers[].audiences`. */
export function optionPattern(option: string): string {
  return option.replace(/^AUTH_CONFIG\.?/, '').replace(/\[\d+\]/g, '[]');
}

/** The fix for an option path, falling back to its nearest documented parent. */
export function fixFor(option: string): string {
  let pattern = optionPattern(option);
  if (pattern.startsWith('cache.')) return CACHE_FIX;
  while (pattern !== '') {
    // Own keys only: a pattern such as `constructor` must not find Object.prototype's.
    if (Object.hasOwn(OPTION_FIXES, pattern)) return OPTION_FIXES[pattern as OptionPattern];
    // Drop the last `.name` or `[]` and try the parent; every turn shortens the pattern, even
    // when a user-chosen key (a claim name) itself contains dots or brackets.
    const cut = Math.max(pattern.lastIndexOf('.'), pattern.lastIndexOf('['));
    if (cut <= 0) break;
    pattern = pattern.slice(0, cut);
  }
  return OPTION_FIXES.AUTH_CONFIG;
}
