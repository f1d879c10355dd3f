/**
 * Turns one raw issuer entry (from `AUTH_CONFIG.issuers[]` or from the `JWT_*` environment
 * variables) into an {@link IssuerConfig}, applying the rules that tie options together: which
 * profile needs which setting, audiences or an explicit opt-out, https key-set addresses.
 */
import { ConfigError } from '../errors.ts';
import type { IssuerConfig, ProfileSettings, ProviderName } from '../types.ts';
import {
  CONFIG_DEFAULTS,
  isSymmetricOrNone,
  SUPPORTED_ALGORITHMS,
  TENANT_TEMPLATE,
} from './defaults.ts';
import { fixFor } from './options.ts';
import type { RawIssuer } from './schema.ts';
import { fetchUrlProblem, originOf } from './url.ts';

/** Maps an issuer field (`audiences`) to the option name the user wrote (`JWT_AUDIENCE`). */
export type OptionNamer = (field: keyof RawIssuer) => string;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Throws the ConfigError for `field`, with the documented fix unless one is given. */
function fail(name: OptionNamer, field: keyof RawIssuer, problem: string, fix?: string): never {
  const option = name(field);
  throw new ConfigError(option, problem, fix ?? fixFor(option));
}

/** Validates and normalises one issuer. */
export function normaliseIssuer(raw: RawIssuer, name: OptionNamer): IssuerConfig {
  const provider: ProviderName = raw.provider ?? CONFIG_DEFAULTS.issuer.provider;
  const issuer = raw.issuer;

  checkIssuerString(raw, provider, name);
  const jwksUrl = checkKeySetAddress(raw, name);
  const algorithms = checkAlgorithms(raw, name);
  const profile = checkProfile(raw, provider, name);
  const audiences = checkAudiences(raw, provider, name);

  const requiredClaims = [...new Set(raw.requiredClaims ?? [])].filter((c) => c !== 'exp');
  return Object.freeze({
    issuer,
    provider,
    jwksUrl,
    audiences: Object.freeze(audiences),
    algorithms: Object.freeze(algorithms),
    clockToleranceSeconds:
      raw.clockToleranceSeconds ?? CONFIG_DEFAULTS.issuer.clockToleranceSeconds,
    maxTokenAgeSeconds: raw.maxTokenAgeSeconds,
    typ: raw.typ,
    requiredClaims: Object.freeze(requiredClaims),
    profile: Object.freeze(profile),
  });
}

/**
 * The issuer as tokens carry it: `{tenantid}` (once) for Entra alone and no other brace, no
 * Entra endpoint alias, and the trailing slash each provider writes (Auth0 always, most never).
 */
function checkIssuerString(raw: RawIssuer, provider: ProviderName, name: OptionNamer): void {
  const templates = raw.issuer.split(TENANT_TEMPLATE).length - 1;
  if (templates > 0 && provider !== 'entra') {
    fail(
      name,
      'issuer',
      `contains ${TENANT_TEMPLATE}, which only the entra provider understands`,
      'set `provider` to "entra", or write the issuer with your tenant id in place of {tenantid}',
    );
  }
  if (templates > 1) fail(name, 'issuer', `contains ${TENANT_TEMPLATE} more than once`);
  // The reverse mistake: these providers never end `iss` with a slash, so an issuer written
  // with one (copied from a browser bar) would match no token, silently when jwksUrl is set.
  if (NO_TRAILING_SLASH.has(provider) && raw.issuer.endsWith('/')) {
    fail(
      name,
      'issuer',
      `ends with "/", which provider "${provider}" never writes in iss`,
      `write it without the slash: ${raw.issuer.replace(/\/+$/, '')}`,
    );
  }
  // Any other brace is a placeholder nobody fills in (`{TENANTID}`, `{tenant}`): the issuer
  // would be compared as written and match no token.
  if (/[{}]/.test(raw.issuer.replace(TENANT_TEMPLATE, ''))) {
    fail(
      name,
      'issuer',
      `contains a placeholder in braces other than ${TENANT_TEMPLATE}`,
      `write the issuer exactly as your tokens carry it; only ${TENANT_TEMPLATE} (lower case, provider "entra") stands for the tenant`,
    );
  }
  if (provider === 'entra' && ENTRA_ALIAS_PATH.test(issuerPath(raw.issuer))) {
    // `common`, `organizations` and `consumers` name endpoints, never a token's `iss`, which
    // always carries the tenant GUID (C08).
    fail(
      name,
      'issuer',
      'names an Entra endpoint alias (common, organizations or consumers), which no token carries in iss',
      `use https://login.microsoftonline.com/${TENANT_TEMPLATE}/v2.0 with \`tenants\`, or your tenant id in place of the alias`,
    );
  }
  // Auth0 issues `iss` with a trailing slash and its discovery document says so; comparing
  // exactly (RFC 7519 §4.1.1 is a string comparison) means the configuration must match.
  if (provider === 'auth0' && !raw.issuer.endsWith('/')) {
    fail(
      name,
      'issuer',
      'is an Auth0 issuer without its trailing slash',
      `write it exactly as Auth0 issues it, with the slash: ${raw.issuer}/`,
    );
  }
}

/** Providers whose `iss` never ends with "/" (Entra's v1 issuer does, Auth0's always does). */
const NO_TRAILING_SLASH: ReadonlySet<ProviderName> = new Set([
  'clerk',
  'cognito',
  'okta',
  'google',
  'keycloak',
  'supabase',
  'cloudflare-access',
]);

/** A path segment that is one of Entra's tenant aliases. */
const ENTRA_ALIAS_PATH = /\/(common|organizations|consumers)(\/|$)/i;

/** The path of an issuer URL, or the issuer itself when it is not a URL. */
function issuerPath(issuer: string): string {
  try {
    return new URL(issuer).pathname;
  } catch {
    return issuer;
  }
}

/** An explicit key-set address must be fetchable; without one, the issuer must be. */
function checkKeySetAddress(raw: RawIssuer, name: OptionNamer): string | undefined {
  if (raw.jwksUrl !== undefined) {
    const problem = fetchUrlProblem(raw.jwksUrl);
    if (problem) fail(name, 'jwksUrl', problem);
    return raw.jwksUrl;
  }
  // Discovery reads `${issuer}/.well-known/openid-configuration` (OIDC Discovery §4).
  const problem = fetchUrlProblem(raw.issuer.replace(TENANT_TEMPLATE, 'common'));
  if (problem) {
    fail(
      name,
      'issuer',
      `has no key-set address, so keys are discovered from it, but it ${problem}`,
      'set `jwksUrl` (JWKS_URL) to the https address of the key set, or use an https issuer',
    );
  }
  return undefined;
}

/** Only asymmetric algorithms we can verify; HS* and none are configuration errors (C01). */
function checkAlgorithms(raw: RawIssuer, name: OptionNamer): string[] {
  const algorithms = raw.algorithms ?? [...CONFIG_DEFAULTS.issuer.algorithms];
  for (const alg of algorithms) {
    if (isSymmetricOrNone(alg)) {
      fail(
        name,
        'algorithms',
        `names ${alg}, which is never accepted with a key set (a public key is not an HMAC secret)`,
      );
    }
    if (!SUPPORTED_ALGORITHMS.has(alg)) fail(name, 'algorithms', `names unknown algorithm ${alg}`);
  }
  return [...new Set(algorithms)];
}

/** Profile settings, each allowed only where it means something. */
function checkProfile(raw: RawIssuer, provider: ProviderName, name: OptionNamer): ProfileSettings {
  const profile: ProfileSettings = {};
  if (raw.tokenUse !== undefined || raw.clientIds !== undefined) {
    if (provider !== 'cognito') {
      fail(
        name,
        raw.tokenUse !== undefined ? 'tokenUse' : 'clientIds',
        'only applies to provider "cognito"',
        'remove it, or set `provider` to "cognito"',
      );
    }
  }
  if (raw.tenants !== undefined && provider !== 'entra') {
    fail(
      name,
      'tenants',
      'only applies to provider "entra"',
      'remove it, or set `provider` to "entra"',
    );
  }
  if (provider === 'cognito') {
    if (raw.tokenUse === undefined) fail(name, 'tokenUse', 'is required for provider "cognito"');
    profile.tokenUse = raw.tokenUse;
    if (raw.tokenUse === 'access') {
      if (!raw.clientIds)
        fail(
          name,
          'clientIds',
          'is required for Cognito access tokens, which carry client_id instead of aud',
        );
      if (raw.audiences) {
        fail(
          name,
          'audiences',
          'is set, but Cognito access tokens carry no aud',
          'move the app client ids to `clientIds` and remove `audiences`',
        );
      }
    }
    if (raw.clientIds) profile.clientIds = Object.freeze(raw.clientIds);
  }
  if (raw.authorizedParties) profile.authorizedParties = Object.freeze(raw.authorizedParties);
  if (provider === 'clerk') checkClerkParties(raw, name);
  if (provider === 'entra') profile.tenants = checkTenants(raw, name);
  return profile;
}

/**
 * Clerk's `authorizedParties`: required unless the audience check is waived, and origins only.
 * Clerk writes the front end's origin in `azp`, and the same list vets the `Origin` of cookie
 * requests (C11): a path, a trailing slash or "*" would match neither, ever.
 */
function checkClerkParties(raw: RawIssuer, name: OptionNamer): void {
  for (const party of raw.authorizedParties ?? []) {
    const origin = originOf(party);
    if (origin !== party) {
      fail(
        name,
        'authorizedParties',
        `holds "${party}", which is not an origin`,
        origin === undefined
          ? 'list origins as scheme://host[:port], e.g. ["https://app.example.com"]'
          : `write it as ${origin}`,
      );
    }
  }
  if (!raw.authorizedParties && raw.allowAnyAudience !== true) {
    fail(
      name,
      'authorizedParties',
      'is required for provider "clerk" (its session tokens bind to the front end through azp)',
      'list your front-end origins in `authorizedParties`, or set `allowAnyAudience: true` to opt out explicitly',
    );
  }
}

/** Entra tenants: GUIDs or an explicit `"*"`; required with the `{tenantid}` template (C08). */
function checkTenants(raw: RawIssuer, name: OptionNamer): readonly string[] | '*' | undefined {
  const templated = raw.issuer.includes(TENANT_TEMPLATE);
  if (raw.tenants === undefined) {
    if (templated) fail(name, 'tenants', `is required when the issuer contains ${TENANT_TEMPLATE}`);
    return undefined;
  }
  if (raw.tenants.includes('*')) {
    if (raw.tenants.length > 1) fail(name, 'tenants', 'mixes "*" with tenant ids');
    return '*';
  }
  for (const tenant of raw.tenants) {
    if (!GUID.test(tenant)) fail(name, 'tenants', `holds "${tenant}", which is not a tenant GUID`);
  }
  return Object.freeze(raw.tenants.map((t) => t.toLowerCase()));
}

/** Audiences are required unless explicitly waived or replaced by the profile's own binding. */
function checkAudiences(raw: RawIssuer, provider: ProviderName, name: OptionNamer): string[] {
  const allowAny = raw.allowAnyAudience ?? CONFIG_DEFAULTS.issuer.allowAnyAudience;
  if (allowAny && raw.audiences) {
    fail(name, 'allowAnyAudience', 'is true while `audiences` is set');
  }
  if (raw.audiences?.includes('*')) {
    // jose compares `aud` as strings: "*" is not a wildcard, only a token whose aud is "*".
    fail(name, 'audiences', 'holds "*", which is not a wildcard here');
  }
  if (raw.audiences) return [...new Set(raw.audiences)];
  if (allowAny) return [];
  if (provider === 'cognito' && raw.tokenUse === 'access') return [];
  // Cognito ID tokens carry the app client id in `aud`.
  if (provider === 'cognito' && raw.clientIds) return [...raw.clientIds];
  if (provider === 'clerk') return [];
  return fail(name, 'audiences', 'is missing, so any audience would be accepted');
}
