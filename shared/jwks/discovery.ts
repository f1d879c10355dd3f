/**
 * OIDC discovery (OpenID Connect Discovery 1.0 §4): where an issuer's key set lives when no
 * address is configured. The document must name exactly the configured issuer (§4.3), and its
 * `jwks_uri` must be `https` (plain `http` only for loopback hosts, for local development).
 */
import { AuthError } from '../errors.ts';

/** Entra's multi-tenant issuer placeholder; the one sanctioned non-exact issuer form. */
const TENANT_TEMPLATE = '{tenantid}';

/** The discovery address of `issuer`, or an error when the issuer cannot be discovered from. */
export function discoveryUrl(issuer: string): string {
  // Entra's template issuer is discovered from the multi-tenant `common` endpoint, whose
  // document states the template itself as its issuer.
  const concrete = issuer.replace(TENANT_TEMPLATE, 'common');
  // §4: a terminating "/" of the issuer is removed before appending the well-known path
  // (Auth0 issuers end with "/").
  const url = `${concrete.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const problem = addressProblem(url);
  if (problem !== undefined) {
    throw invalid(issuer, `cannot discover its key set: the discovery address ${problem}`);
  }
  return url;
}

/**
 * Reads `jwks_uri` from a discovery document fetched for `issuer`, after checking that the
 * document is about that issuer. Throws `key_set_invalid` with the reason otherwise.
 */
export function jwksUriFromDiscovery(body: string, issuer: string): string {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    // A login, error or landing page in place of the document is the usual cause; say so.
    const what = /^\s*</.test(body) ? 'HTML, not JSON' : 'not JSON';
    throw invalid(issuer, `its discovery document is ${what}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalid(issuer, 'its discovery document is not a JSON object');
  }
  const record = document as Record<string, unknown>;

  if (typeof record.issuer !== 'string') {
    throw invalid(issuer, 'its discovery document has no "issuer"');
  }
  if (!issuerMatches(record.issuer, issuer)) {
    throw invalid(
      issuer,
      `its discovery document names the issuer "${record.issuer}", which is not exactly the ` +
        'configured one (OIDC Discovery §4.3); configure the issuer exactly as the provider ' +
        'writes it, trailing slash included',
    );
  }

  if (typeof record.jwks_uri !== 'string') {
    throw invalid(issuer, 'its discovery document has no "jwks_uri"');
  }
  const problem = addressProblem(record.jwks_uri);
  if (problem !== undefined) {
    throw invalid(issuer, `its discovery document's jwks_uri ${problem}`);
  }
  return record.jwks_uri;
}

/**
 * Exact equality, or the Entra form: the document states the `{tenantid}` template and the
 * configured issuer is that template, either verbatim or with one tenant segment in its place.
 */
function issuerMatches(stated: string, configured: string): boolean {
  if (stated === configured) return true;
  const at = stated.indexOf(TENANT_TEMPLATE);
  if (at < 0 || stated.indexOf(TENANT_TEMPLATE, at + 1) >= 0) return false;

  const prefix = stated.slice(0, at);
  const suffix = stated.slice(at + TENANT_TEMPLATE.length);
  if (!configured.startsWith(prefix) || !configured.endsWith(suffix)) return false;
  const tenant = configured.slice(prefix.length, configured.length - suffix.length);
  return /^[A-Za-z0-9-]+$/.test(tenant) || tenant === TENANT_TEMPLATE;
}

/**
 * Why `address` may not be fetched for key material, or `undefined` when it may: it must be
 * an absolute `https` URL, or `http` to a loopback host (127.0.0.0/8, ::1, localhost).
 */
export function addressProblem(address: string): string | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return `"${address}" is not an absolute URL`;
  }
  if (url.username || url.password) return `"${address}" carries credentials`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return undefined;
  return `"${address}" is not https (plain http is allowed only for loopback hosts)`;
}

function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

function invalid(issuer: string, problem: string): AuthError {
  return new AuthError('key_set_invalid', `Issuer ${issuer}: ${problem}`, { issuer });
}
