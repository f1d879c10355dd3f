/**
 * The whole request path in one place: route rule, public routes and CORS preflights, the
 * credential, verification (through the verified-token cache), the cookie CSRF check and the
 * route's requirement. Adapters turn the {@link Decision} into a response or a policy.
 */
import { originOf } from './config/url.ts';
import { checkTokenSize, extractCredential } from './credentials.ts';
import { AuthError } from './errors.ts';
import { checkRequirement, DEFAULT_REQUIREMENT, heldRules, methodReadings } from './routes.ts';
import { TokenCache } from './token-cache.ts';
import type {
  AuthConfig,
  AuthRequest,
  Decision,
  Identity,
  KeySource,
  RouteRule,
  Runtime,
} from './types.ts';
import { createVerifier, toAuthError } from './verify.ts';

/** The core's entry point for adapters. */
export interface Authorizer {
  /** Decides one request. Never throws for request input: failures are `deny` decisions. */
  authorize(req: AuthRequest): Promise<Decision>;
  /**
   * Credential and verification only (plus the cookie CSRF check), for the Lambda, which then
   * compiles a policy from all rules. `rule` enables its query parameter.
   * @throws AuthError
   */
  authenticate(req: AuthRequest, rule?: RouteRule): Promise<Identity>;
  /** Verifies a bare token. @throws AuthError */
  verifyToken(token: string, source?: Identity['source']): Promise<Identity>;
}

/** RFC 9110 §9.2.1 safe methods: the only ones a cookie credential may use cross-site freely. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Creates the authorizer of a configuration; keep one per isolate so its caches are shared. */
export function createAuthorizer(
  config: AuthConfig,
  runtime: Runtime,
  keys: KeySource,
): Authorizer {
  const verifier = createVerifier(config, runtime, keys);
  const tokens = new TokenCache(config.tokenCacheEntries);
  const maxTokenBytes = config.credentials.maxTokenBytes;

  /** Verifies on a cache miss only; the warm path stays synchronous up to the caller's await. */
  function identify(token: string, source: Identity['source']): Identity | Promise<Identity> {
    checkTokenSize(token, maxTokenBytes);
    return tokens.get(token, runtime.now(), keys, source) ?? verifyAndRemember(token, source);
  }

  async function verifyAndRemember(token: string, source: Identity['source']): Promise<Identity> {
    try {
      const identity = await verifier.verify(token, source);
      tokens.set(token, identity);
      return identity;
    } catch (error) {
      throw toAuthError(error, 'token_malformed');
    }
  }

  /** Not `async`: a pending verification is handed on as is, without another promise. */
  function verifyToken(token: string, source: Identity['source'] = 'bearer'): Promise<Identity> {
    try {
      return Promise.resolve(identify(token, source));
    } catch (error) {
      return Promise.reject(toAuthError(error, 'token_malformed'));
    }
  }

  /** Credential, verification and the cookie CSRF check, shared by both entry points. */
  function authenticateRequest(
    req: AuthRequest,
    rule: RouteRule | undefined,
  ): Identity | Promise<Identity> {
    const credential = extractCredential(req, config.credentials, rule);
    if (!credential) throw new AuthError('credential_missing', 'no credential in the request');
    const found = identify(credential.token, credential.source);
    if (credential.source !== 'cookie' || onlySafeReadings(req)) return found;
    return Promise.resolve(found).then((identity) => {
      checkCookieOrigin(req, identity, config.corsOrigins);
      return identity;
    });
  }

  async function authenticate(req: AuthRequest, rule?: RouteRule): Promise<Identity> {
    try {
      return await authenticateRequest(req, rule);
    } catch (error) {
      throw toAuthError(error, 'credential_malformed');
    }
  }

  async function authorize(req: AuthRequest): Promise<Decision> {
    let rule: RouteRule | undefined;
    let held: (RouteRule | undefined)[];
    try {
      // Every reading of the method and path an origin may apply; public only when all are.
      held = heldRules(config.routes, req);
      rule = held[0];
      if (allPublic(held)) return { outcome: 'public', rule };
      if (isPreflight(req, config.credentials.header)) return { outcome: 'preflight', rule };
    } catch (error) {
      return { outcome: 'deny', rule, error: toAuthError(error, 'credential_malformed') };
    }

    let identity: Identity;
    try {
      // A query credential only where every reading's rule enables the same parameter.
      const found = authenticateRequest(req, sameQueryParameter(held) ? rule : undefined);
      // Await only a pending verification: a cache hit needs no extra turn of the event loop.
      identity = found instanceof Promise ? await found : found;
    } catch (error) {
      return { outcome: 'deny', rule, error: toAuthError(error, 'token_malformed') };
    }
    try {
      for (const reading of held)
        checkRequirement(reading?.require ?? DEFAULT_REQUIREMENT, identity);
    } catch (error) {
      return { outcome: 'deny', rule, error: toAuthError(error, 'insufficient_scope'), identity };
    }
    return { outcome: 'allow', rule, identity };
  }

  return { authorize, authenticate, verifyToken };
}

/** Whether every reading's rule is public (`undefined`, no rule, requires a token). */
function allPublic(held: readonly (RouteRule | undefined)[]): boolean {
  for (const rule of held) if (rule?.require.kind !== 'public') return false;
  return true;
}

/** Whether every reading's rule enables the same query parameter as the first one. */
function sameQueryParameter(held: readonly (RouteRule | undefined)[]): boolean {
  const parameter = held[0]?.queryParameter;
  for (const rule of held) if (rule?.queryParameter !== parameter) return false;
  return true;
}

/**
 * A CORS preflight (Fetch standard §4.8): `OPTIONS` with `Origin` and a non-empty
 * `Access-Control-Request-Method`. Browsers send it without credentials and without a body, so
 * an `OPTIONS` carrying `Authorization`, a `Cookie`, the configured credential header
 * (`credentialHeader`) or a body is not one a browser made: it is an ordinary request and needs
 * a token, as does a plain `OPTIONS` (C19), and so does one naming another method through an
 * override. Nothing unverified rides through to the origin.
 */
export function isPreflight(req: AuthRequest, credentialHeader?: string): boolean {
  if (req.method.toUpperCase() !== 'OPTIONS' || req.header('origin') === null) return false;
  if (!req.header('access-control-request-method')?.trim()) return false;
  if (req.header('authorization') !== null || req.header('cookie') !== null) return false;
  if (credentialHeader !== undefined && req.header(credentialHeader) !== null) return false;
  // A method override (header or `_method`) asks an origin to run another method, which no
  // preflight does: passed through untouched, it would be that method without a token.
  if (methodReadings(req).length > 1) return false;
  const length = req.header('content-length');
  return (length === null || length.trim() === '0') && req.header('transfer-encoding') === null;
}

/**
 * Whether every method an origin may take the request for is safe. A cross-site link can carry
 * `?_method=DELETE` on a `GET`, and the browser adds the cookie; an origin that honours the
 * override then runs a `DELETE`, so the CSRF check follows the same readings as the route rules.
 */
function onlySafeReadings(req: AuthRequest): boolean {
  for (const method of methodReadings(req)) if (!SAFE_METHODS.has(method)) return false;
  return true;
}

/**
 * A cookie is sent by the browser whoever made the page, so on an unsafe method the request
 * must come from an origin we trust (C11): `Origin`, or failing that the origin of `Referer`,
 * must be one of the issuer's authorized parties or the configured CORS origins.
 * @throws AuthError `origin_rejected`
 */
export function checkCookieOrigin(
  req: AuthRequest,
  identity: Identity,
  corsOrigins: readonly string[],
): void {
  const origin = requestOrigin(req);
  const trusted = identity.issuer.profile.authorizedParties ?? [];
  if (origin !== undefined && (trusted.includes(origin) || corsOrigins.includes(origin))) return;
  throw new AuthError(
    'origin_rejected',
    'cookie credential on an unsafe method from an untrusted origin',
    {
      issuer: identity.issuer.issuer,
    },
  );
}

function requestOrigin(req: AuthRequest): string | undefined {
  const origin = req.header('origin');
  // `Origin: null` (RFC 6454 §7.3) is an opaque origin: never trusted.
  if (origin !== null) return origin === 'null' ? undefined : origin.trim();
  const referer = req.header('referer');
  return referer === null ? undefined : originOf(referer);
}
