/**
 * What each option means, beside its fix, for the documentation and the tools (the README's
 * configuration reference, `check-config`). Kept apart from `options.ts` so the Worker and
 * Lambda bundles carry only the fixes their error messages quote.
 */
import { OPTION_FIXES, type OptionPattern } from './options.ts';

/** Help for one option. */
export interface OptionHelp {
  /** One line for the configuration reference. */
  readonly meaning: string;
  /** What to change when the value is wrong. */
  readonly fix: string;
}

/** One line for the configuration reference, per option; the keys are those of the fixes. */
const OPTION_MEANINGS: Readonly<Record<OptionPattern, string>> = {
  JWT_ISSUER: 'The exact `iss` of the one issuer configured through the environment.',
  JWT_AUDIENCE: 'Comma-separated audiences accepted for the JWT_ISSUER issuer.',
  JWKS_URL: 'Key-set address of the JWT_ISSUER issuer; discovered when absent.',
  JWT_ALGORITHMS: 'Comma-separated algorithm allow-list for the JWT_ISSUER issuer.',
  AUTH_CONFIG: 'The full configuration as JSON text (or a table where the platform passes one).',
  issuers: 'Trusted issuers, each with its own keys, audiences and checks.',
  'issuers[]': 'One trusted issuer.',
  'issuers[].issuer': 'The exact `iss` value; Entra multi-tenant issuers may contain `{tenantid}`.',
  'issuers[].provider':
    'Provider profile: generic, auth0, clerk, cognito, entra, okta, google, keycloak, supabase, cloudflare-access.',
  'issuers[].audiences': 'Accepted `aud` values (a string or an array).',
  'issuers[].allowAnyAudience': 'Explicitly skip the audience check.',
  'issuers[].jwksUrl': 'Key-set address; discovered from the issuer when absent.',
  'issuers[].algorithms': 'Accepted JWS algorithms; asymmetric only.',
  'issuers[].clockToleranceSeconds': 'Leeway for `exp`, `nbf` and `iat`, in seconds.',
  'issuers[].maxTokenAgeSeconds': 'Maximum age since `iat`, in seconds; absent: no maximum.',
  'issuers[].typ': 'Expected `typ` header (`JWT`, `at+jwt`); absent: any.',
  'issuers[].requiredClaims': 'Claims that must be present besides `exp`.',
  'issuers[].tokenUse': 'Cognito: the accepted `token_use` (`access` or `id`).',
  'issuers[].clientIds': 'Cognito access tokens: accepted `client_id` values.',
  'issuers[].authorizedParties':
    'Clerk: accepted `azp` values, also the origins allowed to send the session cookie.',
  'issuers[].tenants': 'Entra: accepted tenant ids (`tid`), or "*" for any tenant.',
  routes: 'Ordered route rules; first match wins; no match requires a valid token.',
  'routes[]': 'One route rule.',
  'routes[].path':
    'Path pattern: literal segments, `*` for one segment, a trailing `**` for any rest.',
  'routes[].method': 'One HTTP method, or `*` for all.',
  'routes[].methods': 'HTTP methods, or ["*"] for all.',
  'routes[].public': 'Pass without a token.',
  'routes[].scopes': 'Scopes required (from `scope` or `scp`).',
  'routes[].scopesMatch': 'Whether all (default) or any of the scopes are needed.',
  'routes[].claims': 'Claim name to accepted values (string, number, boolean or an array of them).',
  'routes[].queryParameter': 'Accept the token in this query parameter on this route.',
  credentials: 'Where tokens are read from.',
  'credentials.bearer': 'Read `Authorization: Bearer`.',
  'credentials.cookie': 'Cookie read when Authorization is absent, or ignored (bearer off).',
  'credentials.header': 'A header carrying the bare token.',
  'credentials.maxTokenBytes': 'Tokens larger than this are rejected before decoding.',
  forwardClaims: 'Claim name to the header (Worker) or context key (Lambda) it is forwarded in.',
  identityHeaders: 'Header names for the verified subject and issuer.',
  forwardAuthorization: 'Whether the Worker passes the verified credential on to the origin.',
  corsOrigins: 'Origins allowed by CORS and to send cookie credentials on unsafe methods.',
  realm: 'The realm of WWW-Authenticate challenges.',
  cache: 'Key-set cache policy (seconds and bytes).',
  tokenCacheEntries: 'Size of the verified-token cache; 0 disables it.',
};

/** Help for every option of the environment and of `AUTH_CONFIG`. */
export const OPTION_HELP: Readonly<Record<string, OptionHelp>> = Object.fromEntries(
  Object.entries(OPTION_MEANINGS).map(([option, meaning]) => [
    option,
    { meaning, fix: OPTION_FIXES[option as OptionPattern] },
  ]),
);
