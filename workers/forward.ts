/**
 * The request the origin receives. The gate's identity headers are removed from every incoming
 * request first (public routes and preflights included), so a client can never supply its own
 * subject; on allowed requests they are then set from the verified token.
 */
import { foldHeaderName } from '../shared/header-name.ts';
import type { AuthConfig, Identity } from '../shared/types.ts';

/**
 * Longest identity header value forwarded, in characters. A longer claim is left out rather than
 * cut: a truncated role list or JSON document would tell the origin something the token did not.
 */
export const MAX_IDENTITY_HEADER_CHARS = 2048;

const ownedByConfig = new WeakMap<AuthConfig, ReadonlySet<string>>();

/**
 * Every header name the gate owns, folded ({@link foldHeaderName}): the identity headers and the
 * forwarded-claim headers. Worked out once per configuration, not per request.
 */
export function ownedHeaderNames(config: AuthConfig): ReadonlySet<string> {
  let owned = ownedByConfig.get(config);
  if (owned === undefined) {
    const names = [
      config.identityHeaders.subject,
      config.identityHeaders.issuer,
      ...Object.values(config.forwardClaims),
    ];
    owned = new Set(names.map(foldHeaderName));
    ownedByConfig.set(config, owned);
  }
  return owned;
}

/**
 * A string that passes as its own header value: printable ASCII, not empty, no space at either
 * end, and not starting with a character a JSON encoding starts with (`"`, `[`, `{`). Any other
 * string is sent JSON-encoded, and so starts with `"`; the two spellings can never meet.
 */
const VERBATIM = /^[\x21\x23-\x5a\x5c-\x7a\x7c-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * Renders a claim as a header value. A string matching {@link VERBATIM} passes as it is; any
 * other string, and every array or object, is JSON with every non-ASCII character `\u`-escaped;
 * numbers and booleans are their JSON text. So the value is always a valid RFC 9110 §5.5 field
 * value, can never carry CR/LF into a new header, and two different strings, arrays or objects
 * never render alike. `undefined` when the claim is absent, null or too long.
 */
export function headerValue(claim: unknown): string | undefined {
  if (claim === undefined || claim === null) return undefined;

  let value: string;
  if (typeof claim === 'string' && VERBATIM.test(claim)) {
    value = claim;
  } else {
    const json = JSON.stringify(claim);
    if (json === undefined) return undefined;
    value = json.replace(
      /[^\x20-\x7e]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  return value.length <= MAX_IDENTITY_HEADER_CHARS ? value : undefined;
}

/**
 * Removes every incoming header that an origin could read as one of `owned` (folded names): the
 * name itself in any case, and its spellings with `_` for `-` (`X_Auth_Subject`). CGI-style
 * servers map both `X-Auth-Subject` and `X_Auth_Subject` to `HTTP_X_AUTH_SUBJECT` (RFC 3875
 * §4.1.18), so deleting only the dashed name would let a client's underscore copy stand in for,
 * or beside, the verified one.
 */
export function removeOwnedHeaders(headers: Headers, owned: ReadonlySet<string>): void {
  const doomed: string[] = [];
  for (const name of headers.keys()) if (owned.has(foldHeaderName(name))) doomed.push(name);
  for (const name of doomed) headers.delete(name);
}

/**
 * Removes every cookie named `name` from a `Cookie` header, keeping the others as sent
 * (RFC 6265 §5.4). Pairs are split at `;`, and within a pair at `,` too: that is where an HTTP/2
 * hop or `Headers` joined several Cookie lines (RFC 9113 §8.2.3), and where the core reads a
 * cookie as well, so a copy behind a comma is removed like any other.
 */
function withoutCookie(cookieHeader: string, name: string): string {
  const isCredential = (part: string) => part.split('=', 1)[0]!.trim() === name;
  return cookieHeader
    .split(';')
    .map((pair) =>
      pair
        .split(',')
        .filter((part) => !isCredential(part))
        .join(',')
        .trim(),
    )
    .filter((pair) => pair !== '')
    .join('; ');
}

/**
 * Removes every header credential the configuration reads, whichever one was used: the
 * `Authorization` header when bearer tokens are read, the credential header, and every copy of
 * the session cookie (other cookies kept). `kept` names the one source to leave in place.
 */
function removeCredentialSources(
  config: AuthConfig,
  headers: Headers,
  kept?: Identity['source'],
): void {
  const { bearer, header, cookie } = config.credentials;
  if (bearer && kept !== 'bearer') headers.delete('Authorization');
  if (header !== undefined && kept !== 'header') headers.delete(header);
  const cookies = headers.get('Cookie');
  if (cookie !== undefined && cookies !== null && kept !== 'cookie') {
    const rest = withoutCookie(cookies, cookie);
    if (rest === '') headers.delete('Cookie');
    else headers.set('Cookie', rest);
  }
}

/**
 * Headers for the origin: the incoming ones minus the gate's own names; with an identity, the
 * identity headers set and every header credential source removed, except, with
 * `forwardAuthorization`, the one the token was verified from. Returns the headers and the
 * names of claims left out for being too long (for the log line).
 */
export function originHeaders(
  config: AuthConfig,
  incoming: Headers,
  identity: Identity | undefined,
): { headers: Headers; omitted: string[] } {
  const headers = new Headers(incoming);
  removeOwnedHeaders(headers, ownedHeaderNames(config));
  const omitted: string[] = [];
  if (identity === undefined) return { headers, omitted };

  const set = (name: string, claimName: string, claim: unknown) => {
    const value = headerValue(claim);
    if (value !== undefined) headers.set(name, value);
    else if (claim !== undefined && claim !== null) omitted.push(claimName);
  };
  set(config.identityHeaders.subject, 'sub', identity.subject);
  set(config.identityHeaders.issuer, 'iss', identity.iss);
  for (const [claimName, headerName] of Object.entries(config.forwardClaims)) {
    set(headerName, claimName, identity.payload[claimName]);
  }

  // The origin trusts the identity headers; no token the gate did not verify stays on the
  // request (a second user's session cookie beside the Authorization header): an origin that
  // decodes a forwarded token without verifying it must find only the verified one.
  removeCredentialSources(config, headers, forwardedSource(config, identity));
  return { headers, omitted };
}

/**
 * The credential source an allowed request keeps on its way to the origin: with
 * `forwardAuthorization`, the one the token was verified from; otherwise none. Every other
 * source (headers, cookie, query parameter) is removed.
 */
export function forwardedSource(
  config: AuthConfig,
  identity: Identity,
): Identity['source'] | undefined {
  return config.forwardAuthorization ? identity.source : undefined;
}

/**
 * Removes every `name=...` pair from a query string, leaving the other pairs byte for byte (a
 * `URLSearchParams` round trip would re-encode them, and the origin may sign or compare them).
 */
export function withoutQueryParameter(search: string, name: string): string {
  if (search.length <= 1) return search;
  const kept = search
    .slice(1)
    .split('&')
    .filter((pair) => {
      const rawName = pair.split('=', 1)[0]!.replace(/\+/g, ' ');
      try {
        return decodeURIComponent(rawName) !== name;
      } catch {
        return rawName !== name;
      }
    });
  return kept.length > 0 ? `?${kept.join('&')}` : '';
}

/**
 * Where the request goes: `ORIGIN_URL` with the request's path appended to its own path, or the
 * request's own URL (the zone's origin) when there is no `ORIGIN_URL`. The query is kept, less
 * `dropParameter` (a query credential the gate consumed and must not pass on).
 */
export function originTarget(
  requestUrl: URL,
  origin: URL | undefined,
  dropParameter?: string,
): string {
  const target = new URL((origin ?? requestUrl).toString());
  if (origin !== undefined) {
    const base = target.pathname.replace(/\/+$/, '');
    target.pathname = `${base}${requestUrl.pathname}`;
  }
  const search =
    dropParameter === undefined
      ? requestUrl.search
      : withoutQueryParameter(requestUrl.search, dropParameter);
  // Assigning `search` would re-encode it; rebuild the URL text around it instead.
  return `${target.origin}${target.pathname}${search}`;
}

/** The request to send to the origin, streaming the body through unchanged. */
export function originRequest(request: Request, target: string, headers: Headers): Request {
  return new Request(target, {
    method: request.method,
    headers,
    body: request.method === 'GET' || request.method === 'HEAD' ? null : request.body,
    // Redirects from the origin go back to the client as they are; the gate does not follow them.
    redirect: 'manual',
  });
}
