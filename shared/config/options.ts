/**
 * What each option means and how to fix a mistake in it. The loader quotes the `fix` in every
 * ConfigError; the documentation tools print the `meaning` column of the README table.
 * Keys are option paths with array indices written as `[]` (`issuers[].audiences`).
 */

/** Help for one option. */
export interface OptionHelp {
  /** One line for the configuration reference. */
  readonly meaning: string;
  /** What to change when the value is wrong. */
  readonly fix: string;
}

/** Help for every option of the environment and of `AUTH_CONFIG`. */
export const OPTION_HELP: Readonly<Record<string, OptionHelp>> = {
  JWT_ISSUER: {
    meaning: 'The exact `iss` of the one issuer configured through the environment.',
    fix: 'set JWT_ISSUER to the issuer URL your tokens carry in `iss`, e.g. https://tenant.auth0.com/',
  },
  JWT_AUDIENCE: {
    meaning: 'Comma-separated audiences accepted for the JWT_ISSUER issuer.',
    fix: 'set JWT_AUDIENCE to the API identifier(s) your tokens carry in `aud`, comma-separated',
  },
  JWKS_URL: {
    meaning: 'Key-set address of the JWT_ISSUER issuer; discovered when absent.',
    fix: 'set JWKS_URL to the https address of the JWK Set, or remove it to use discovery',
  },
  JWT_ALGORITHMS: {
    meaning: 'Comma-separated algorithm allow-list for the JWT_ISSUER issuer.',
    fix: 'list asymmetric JWS algorithms such as RS256,ES256, or remove it for the default',
  },
  AUTH_CONFIG: {
    meaning: 'The full configuration as JSON text (or a table where the platform passes one).',
    fix: 'set AUTH_CONFIG to a JSON object such as {"issuers":[{"issuer":"https://...","audiences":["..."]}]}',
  },
  issuers: {
    meaning: 'Trusted issuers, each with its own keys, audiences and checks.',
    fix: 'give `issuers` as an array of issuer objects, or set JWT_ISSUER',
  },
  'issuers[]': {
    meaning: 'One trusted issuer.',
    fix: 'write the issuer as an object with at least `issuer` and `audiences`',
  },
  'issuers[].issuer': {
    meaning: 'The exact `iss` value; Entra multi-tenant issuers may contain `{tenantid}`.',
    fix: 'set `issuer` to the exact `iss` your tokens carry (copy it from the discovery document)',
  },
  'issuers[].provider': {
    meaning:
      'Provider profile: generic, auth0, clerk, cognito, entra, okta, google, keycloak, supabase, cloudflare-access.',
    fix: 'use one of generic, auth0, clerk, cognito, entra, okta, google, keycloak, supabase, cloudflare-access',
  },
  'issuers[].audiences': {
    meaning: 'Accepted `aud` values (a string or an array).',
    fix: 'set `audiences` to the API identifier(s) your tokens carry in `aud`, or set `allowAnyAudience: true` to opt out explicitly',
  },
  'issuers[].allowAnyAudience': {
    meaning: 'Explicitly skip the audience check.',
    fix: 'set `allowAnyAudience` to true or false, and do not combine true with `audiences`',
  },
  'issuers[].jwksUrl': {
    meaning: 'Key-set address; discovered from the issuer when absent.',
    fix: 'use an https address (http only for 127.0.0.1, localhost or [::1]), or remove it to use discovery',
  },
  'issuers[].algorithms': {
    meaning: 'Accepted JWS algorithms; asymmetric only.',
    fix: 'list asymmetric algorithms (RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519), or remove it for all of them',
  },
  'issuers[].clockToleranceSeconds': {
    meaning: 'Leeway for `exp`, `nbf` and `iat`, in seconds.',
    fix: 'use a whole number of seconds from 0 to 300',
  },
  'issuers[].maxTokenAgeSeconds': {
    meaning: 'Maximum age since `iat`, in seconds; absent: no maximum.',
    fix: 'use a positive whole number of seconds, or remove it',
  },
  'issuers[].typ': {
    meaning: 'Expected `typ` header (`JWT`, `at+jwt`); absent: any.',
    fix: 'set `typ` to the header value your tokens carry (e.g. "at+jwt"), or remove it',
  },
  'issuers[].requiredClaims': {
    meaning: 'Claims that must be present besides `exp`.',
    fix: 'list claim names as non-empty strings, e.g. ["sub"]',
  },
  'issuers[].tokenUse': {
    meaning: 'Cognito: the accepted `token_use` (`access` or `id`).',
    fix: 'set `tokenUse` to "access" (with `clientIds`) or "id" (with `audiences`)',
  },
  'issuers[].clientIds': {
    meaning: 'Cognito access tokens: accepted `client_id` values.',
    fix: 'list your Cognito app client ids in `clientIds`',
  },
  'issuers[].authorizedParties': {
    meaning: 'Clerk: accepted `azp` values, also the origins allowed to send the session cookie.',
    fix: 'list your front-end origins, e.g. ["https://app.example.com"]',
  },
  'issuers[].tenants': {
    meaning: 'Entra: accepted tenant ids (`tid`), or "*" for any tenant.',
    fix: 'list tenant GUIDs in `tenants`, or set it to "*" to accept any tenant explicitly',
  },
  routes: {
    meaning: 'Ordered route rules; first match wins; no match requires a valid token.',
    fix: 'give `routes` as an array of {"path": "...", ...} objects',
  },
  'routes[]': {
    meaning: 'One route rule.',
    fix: 'write the rule as an object with `path` and optionally `method(s)`, `public`, `scopes`, `claims`',
  },
  'routes[].path': {
    meaning: 'Path pattern: literal segments, `*` for one segment, a trailing `**` for any rest.',
    fix: 'start the pattern with "/", use `*` for a whole segment and `**` only as the last segment',
  },
  'routes[].method': {
    meaning: 'One HTTP method, or `*` for all.',
    fix: 'use an HTTP method such as "GET", or "*", and not together with `methods`',
  },
  'routes[].methods': {
    meaning: 'HTTP methods, or ["*"] for all.',
    fix: 'list HTTP methods such as ["GET", "POST"], and not together with `method`',
  },
  'routes[].public': {
    meaning: 'Pass without a token.',
    fix: 'set `public` to true or false, and do not combine true with `scopes` or `claims`',
  },
  'routes[].scopes': {
    meaning: 'Scopes required (from `scope` or `scp`).',
    fix: 'list scope names as non-empty strings',
  },
  'routes[].scopesMatch': {
    meaning: 'Whether all (default) or any of the scopes are needed.',
    fix: 'set `scopesMatch` to "all" or "any"',
  },
  'routes[].claims': {
    meaning: 'Claim name to accepted values (string, number, boolean or an array of them).',
    fix: 'write `claims` as {"claim": ["value", ...]}',
  },
  'routes[].queryParameter': {
    meaning: 'Accept the token in this query parameter on this route.',
    fix: 'name the query parameter, e.g. "access_token"',
  },
  credentials: {
    meaning: 'Where tokens are read from.',
    fix: 'write `credentials` as {"bearer": true, "cookie": "__session", ...} with at least one source',
  },
  'credentials.bearer': {
    meaning: 'Read `Authorization: Bearer`.',
    fix: 'set `bearer` to true or false',
  },
  'credentials.cookie': {
    meaning: 'Cookie read when there is no Authorization header.',
    fix: 'name the cookie with token characters only, e.g. "__session"',
  },
  'credentials.header': {
    meaning: 'A header carrying the bare token.',
    fix: 'name a header with token characters only, e.g. "Cf-Access-Jwt-Assertion"',
  },
  'credentials.maxTokenBytes': {
    meaning: 'Tokens larger than this are rejected before decoding.',
    fix: 'use a whole number of bytes from 256 to 65536',
  },
  forwardClaims: {
    meaning: 'Claim name to the header (Worker) or context key (Lambda) it is forwarded in.',
    fix: 'write `forwardClaims` as {"email": "X-Auth-Email"} with header-name values',
  },
  identityHeaders: {
    meaning: 'Header names for the verified subject and issuer.',
    fix: 'write `identityHeaders` as {"subject": "X-Auth-Subject", "issuer": "X-Auth-Issuer"}',
  },
  forwardAuthorization: {
    meaning: 'Whether the Worker passes the Authorization header to the origin.',
    fix: 'set `forwardAuthorization` to true or false',
  },
  corsOrigins: {
    meaning: 'Origins allowed by CORS and to send cookie credentials on unsafe methods.',
    fix: 'list origins as scheme://host[:port] without a path, e.g. ["https://app.example.com"]',
  },
  realm: {
    meaning: 'The realm of WWW-Authenticate challenges.',
    fix: 'use a short name without quotes or backslashes',
  },
  cache: {
    meaning: 'Key-set cache policy (seconds and bytes).',
    fix: 'write `cache` as an object of the documented numeric options',
  },
  tokenCacheEntries: {
    meaning: 'Size of the verified-token cache; 0 disables it.',
    fix: 'use a whole number from 0 to 1000000',
  },
};

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
    const help = OPTION_HELP[pattern];
    if (help) return help.fix;
    // Drop the last `.name` or `[]` and try the parent; every turn shortens the pattern, even
    // when a user-chosen key (a claim name) itself contains dots or brackets.
    const cut = Math.max(pattern.lastIndexOf('.'), pattern.lastIndexOf('['));
    if (cut <= 0) break;
    pattern = pattern.slice(0, cut);
  }
  return OPTION_HELP.AUTH_CONFIG!.fix;
}
