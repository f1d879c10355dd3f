/**
 * Turns `AUTH_CONFIG` (already past the schema) plus the environment's issuer into the frozen
 * {@link AuthConfig}: defaults filled in, route patterns checked, header and cookie names checked,
 * cross-option rules applied. Every mistake is one ConfigError naming the option.
 */
import { ConfigError } from '../errors.ts';
import { foldHeaderName } from '../header-name.ts';
import type {
  AuthConfig,
  CachePolicy,
  CredentialSettings,
  IssuerConfig,
  RouteRule,
} from '../types.ts';
import { CONFIG_DEFAULTS } from './defaults.ts';
import { normaliseIssuer } from './issuer.ts';
import { fixFor } from './options.ts';
import type { RawAuthConfig, RawRoute } from './schema.ts';
import { originOf } from './url.ts';

/** RFC 9110 §5.6.2 `token`: header names, cookie names, methods. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Headers an identity header may not replace: they would change what the origin trusts. */
const RESERVED_HEADERS = new Set([
  'authorization',
  'cookie',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
]);

function fail(option: string, problem: string, fix?: string): never {
  throw new ConfigError(option, problem, fix ?? fixFor(option));
}

/** Builds the whole configuration. `envIssuer` is the issuer from the `JWT_*` variables. */
export function normaliseConfig(
  raw: RawAuthConfig,
  envIssuer: IssuerConfig | undefined,
): AuthConfig {
  const issuers = (raw.issuers ?? []).map((entry, i) =>
    normaliseIssuer(entry, (field) => `AUTH_CONFIG.issuers[${i}].${field}`),
  );
  if (envIssuer) {
    const twin = issuers.findIndex((other) => other.issuer === envIssuer.issuer);
    if (twin >= 0)
      fail(
        'JWT_ISSUER',
        `repeats AUTH_CONFIG.issuers[${twin}].issuer`,
        'configure the issuer in one place only',
      );
    issuers.unshift(envIssuer);
  }
  issuers.forEach((entry, i) => {
    const first = issuers.findIndex((other) => other.issuer === entry.issuer);
    if (first !== i) {
      const offset = envIssuer ? 1 : 0;
      fail(
        `AUTH_CONFIG.issuers[${i - offset}].issuer`,
        `repeats issuers[${first - offset}]`,
        'configure each issuer once',
      );
    }
  });
  if (issuers.length === 0) {
    fail(
      'JWT_ISSUER',
      'is not set and AUTH_CONFIG names no issuers, so no token could be trusted',
      'set JWT_ISSUER and JWT_AUDIENCE, or list issuers in AUTH_CONFIG.issuers',
    );
  }

  const identityHeaders = {
    subject: raw.identityHeaders?.subject ?? CONFIG_DEFAULTS.identityHeaders.subject,
    issuer: raw.identityHeaders?.issuer ?? CONFIG_DEFAULTS.identityHeaders.issuer,
  };
  checkHeaderName('AUTH_CONFIG.identityHeaders.subject', identityHeaders.subject);
  checkHeaderName('AUTH_CONFIG.identityHeaders.issuer', identityHeaders.issuer);
  // Every header the gate sets or reads a token from, by option, for the distinctness check.
  const gateHeaders: [string, string][] = [
    ['identityHeaders.subject', identityHeaders.subject],
    ['identityHeaders.issuer', identityHeaders.issuer],
  ];
  const forwardClaims = raw.forwardClaims ?? CONFIG_DEFAULTS.forwardClaims;
  for (const [claim, header] of Object.entries(forwardClaims)) {
    checkHeaderName(`AUTH_CONFIG.forwardClaims.${claim}`, header);
    gateHeaders.push([`forwardClaims.${claim}`, header]);
  }
  const credentials = normaliseCredentials(raw);
  if (credentials.header !== undefined)
    gateHeaders.push(['credentials.header', credentials.header]);
  checkDistinctHeaders(gateHeaders);

  return Object.freeze({
    issuers: Object.freeze(issuers),
    routes: Object.freeze(
      (raw.routes ?? []).map((r, i) => normaliseRoute(r, `AUTH_CONFIG.routes[${i}]`)),
    ),
    credentials,
    forwardClaims: Object.freeze({ ...forwardClaims }),
    identityHeaders: Object.freeze(identityHeaders),
    forwardAuthorization: raw.forwardAuthorization ?? CONFIG_DEFAULTS.forwardAuthorization,
    corsOrigins: Object.freeze(normaliseOrigins(raw.corsOrigins ?? [])),
    realm: normaliseRealm(raw.realm ?? CONFIG_DEFAULTS.realm),
    cache: normaliseCache(raw),
    tokenCacheEntries: raw.tokenCacheEntries ?? CONFIG_DEFAULTS.tokenCacheEntries,
  });
}

/**
 * Fails when two of the gate's headers are one header to an origin ({@link foldHeaderName}:
 * the same name in another case, or with `_` for `-`). A forwarded
 * claim on the subject header would replace the verified subject with a claim the user may
 * choose (`name`, `nickname`), and two claims on one header would hide one of them.
 */
function checkDistinctHeaders(headers: readonly (readonly [string, string])[]): void {
  const seen = new Map<string, string>();
  for (const [option, header] of headers) {
    const folded = foldHeaderName(header);
    const earlier = seen.get(folded);
    if (earlier !== undefined) {
      fail(
        `AUTH_CONFIG.${option}`,
        `is the same header as ${earlier} (names differing in case or in _ for - are one header)`,
        'give the identity headers, each forwarded claim and the credential header their own names',
      );
    }
    seen.set(folded, option);
  }
}

function checkHeaderName(option: string, header: string): void {
  if (!TOKEN.test(header)) fail(option, `"${header}" is not a valid header name`);
  if (RESERVED_HEADERS.has(header.toLowerCase())) fail(option, `"${header}" is a reserved header`);
}

/** Splits a path pattern into segments, dropping empty ones (`//` and a trailing `/`). */
export function patternSegments(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

/** Validates one route rule and turns it into the declarative {@link RouteRule}. */
export function normaliseRoute(raw: RawRoute, option: string): RouteRule {
  if (!raw.path.startsWith('/')) fail(`${option}.path`, `"${raw.path}" does not start with "/"`);
  const segments = patternSegments(raw.path);
  segments.forEach((segment, i) => {
    if (segment === '**' && i !== segments.length - 1)
      fail(`${option}.path`, '`**` is allowed only as the last segment');
    if (segment !== '*' && segment !== '**' && segment.includes('*')) {
      fail(`${option}.path`, `segment "${segment}" mixes "*" with other characters`);
    }
    if (segment === '.' || segment === '..') fail(`${option}.path`, 'contains a dot segment');
  });

  if (raw.method !== undefined && raw.methods !== undefined)
    fail(`${option}.method`, 'is set together with `methods`');
  const given = raw.methods ?? (raw.method !== undefined ? [raw.method] : ['*']);
  const methods = [...new Set(given.map((m) => m.toUpperCase()))];
  methods.forEach((m) => {
    if (m !== '*' && !TOKEN.test(m))
      fail(`${option}.${raw.methods ? 'methods' : 'method'}`, `"${m}" is not an HTTP method`);
  });

  const isPublic = raw.public ?? false;
  if (isPublic && (raw.scopes || raw.claims || raw.queryParameter)) {
    const extra = raw.scopes ? 'scopes' : raw.claims ? 'claims' : 'queryParameter';
    fail(`${option}.public`, `is true while \`${extra}\` is set`);
  }
  for (const scope of raw.scopes ?? []) {
    // RFC 6749 §3.3: a scope token never contains a space.
    if (/\s/.test(scope))
      fail(
        `${option}.scopes`,
        `"${scope}" contains whitespace`,
        'list each scope as its own string',
      );
  }
  if (raw.queryParameter !== undefined && !TOKEN.test(raw.queryParameter)) {
    fail(`${option}.queryParameter`, `"${raw.queryParameter}" is not a valid parameter name`);
  }

  // Built with fromEntries so a claim named `__proto__` stays an own key, not a prototype.
  const claims: Record<string, readonly (string | number | boolean)[]> = Object.fromEntries(
    Object.entries(raw.claims ?? {}).map(([claim, value]) => {
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0) {
        fail(`${option}.claims.${claim}`, 'is an empty list, which no token could satisfy');
      }
      return [claim, Object.freeze([...values])];
    }),
  );

  return Object.freeze({
    methods: Object.freeze(methods.includes('*') ? ['*'] : methods),
    path: `/${segments.join('/')}`,
    require: isPublic
      ? Object.freeze({ kind: 'public' as const })
      : Object.freeze({
          kind: 'token' as const,
          scopes: Object.freeze([...new Set(raw.scopes ?? [])]),
          scopesMatch: raw.scopesMatch ?? 'all',
          claims: Object.freeze(claims),
        }),
    queryParameter: raw.queryParameter,
  });
}

function normaliseCredentials(raw: RawAuthConfig): CredentialSettings {
  const given = raw.credentials ?? {};
  const defaults = CONFIG_DEFAULTS.credentials;
  const settings: CredentialSettings = {
    bearer: given.bearer ?? defaults.bearer,
    cookie: given.cookie ?? defaults.cookie,
    header: given.header ?? defaults.header,
    maxTokenBytes: given.maxTokenBytes ?? defaults.maxTokenBytes,
  };
  if (settings.cookie !== undefined && !TOKEN.test(settings.cookie)) {
    fail('AUTH_CONFIG.credentials.cookie', `"${settings.cookie}" is not a valid cookie name`);
  }
  if (settings.header !== undefined)
    checkHeaderName('AUTH_CONFIG.credentials.header', settings.header);
  if (!settings.bearer && settings.cookie === undefined && settings.header === undefined) {
    fail(
      'AUTH_CONFIG.credentials',
      'disables every credential source',
      'keep `bearer: true` or name a `cookie` or `header`',
    );
  }
  return Object.freeze(settings);
}

/** CORS origins are exact `scheme://host[:port]` strings (RFC 6454 §6.1 serialisation). */
function normaliseOrigins(origins: readonly string[]): string[] {
  return origins.map((origin, i) => {
    const option = `AUTH_CONFIG.corsOrigins[${i}]`;
    if (origin === '*') fail(option, 'is "*", which would let any site send cookie credentials');
    const serialised = originOf(origin);
    if (serialised !== origin) {
      fail(
        option,
        `"${origin}" is not an origin`,
        serialised === undefined ? undefined : `write it as ${serialised}`,
      );
    }
    return origin;
  });
}

function normaliseRealm(realm: string): string {
  // The realm goes into a quoted-string (RFC 9110 §11.6.1); keep it free of quoting trouble.
  if (!/^[\x20-\x7e]+$/.test(realm) || /["\\]/.test(realm))
    fail('AUTH_CONFIG.realm', 'contains quotes, backslashes or control characters');
  return realm;
}

function normaliseCache(raw: RawAuthConfig): CachePolicy {
  const cache = { ...CONFIG_DEFAULTS.cache, ...stripUndefined(raw.cache ?? {}) };
  if (cache.minMaxAgeSeconds > cache.maxMaxAgeSeconds) {
    fail('AUTH_CONFIG.cache.minMaxAgeSeconds', 'is larger than maxMaxAgeSeconds');
  }
  if (
    cache.defaultMaxAgeSeconds < cache.minMaxAgeSeconds ||
    cache.defaultMaxAgeSeconds > cache.maxMaxAgeSeconds
  ) {
    fail(
      'AUTH_CONFIG.cache.defaultMaxAgeSeconds',
      'lies outside minMaxAgeSeconds..maxMaxAgeSeconds',
    );
  }
  return Object.freeze(cache);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
