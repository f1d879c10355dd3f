/**
 * Finds the one credential of a request: `Authorization: Bearer` (RFC 6750 §2.1), a configured
 * header carrying a bare token, a configured cookie, or a query parameter where a route allows
 * one. A credential that is present but wrong is a failure and never falls back to another
 * source, so an attacker cannot choose which source is read.
 */
import { AuthError } from './errors.ts';
import type { AuthRequest, CredentialSettings, Identity, RouteRule } from './types.ts';

/** A credential found in a request, not yet verified. */
export interface Credential {
  readonly token: string;
  readonly source: Identity['source'];
}

/** A character that can appear nowhere in a token68, not even in its trailing `=` run. */
const NOT_TOKEN68_CHARACTER = /[^A-Za-z0-9\-._~+/=]/;
const EQUALS = 0x3d;

const SPACE = 0x20;
const TAB = 0x09;

/**
 * Whether `value` is one token68 (RFC 9110 §11.2, RFC 6750 §2.1 `b64token`):
 * `1*( ALPHA / DIGIT / -._~+/ ) *"="`. One unanchored search for a character of the complement
 * (about twice as fast over a whole token as an anchored pattern), then the `=` run checked to
 * be trailing and to follow at least one other character.
 */
export function isToken68(value: string): boolean {
  if (NOT_TOKEN68_CHARACTER.test(value)) return false;
  const equals = value.indexOf('=');
  if (equals < 0) return value.length > 0;
  if (equals === 0) return false;
  for (let i = equals + 1; i < value.length; i++) if (value.charCodeAt(i) !== EQUALS) return false;
  return true;
}

/** Whether `value` starts with `Bearer` in any case (RFC 9110 §11.1: schemes are case-insensitive). */
function startsWithBearer(value: string, at: number): boolean {
  return value.length - at >= 6 && value.slice(at, at + 6).toLowerCase() === 'bearer';
}

function malformed(message: string): AuthError {
  return new AuthError('credential_malformed', message);
}

/**
 * Rejects a token above the size cap before anything decodes it. Length in UTF-16 units is a
 * lower bound of the UTF-8 byte length, and a valid token is ASCII, so this never lets more
 * than `maxTokenBytes` bytes of a valid token through.
 */
export function checkTokenSize(token: string, maxTokenBytes: number): void {
  if (token.length > maxTokenBytes) {
    throw new AuthError('token_too_large', `token exceeds ${maxTokenBytes} bytes`);
  }
}

/**
 * Parses an `Authorization` header value (or a REST API TOKEN event's `authorizationToken`):
 * exactly one `Bearer` credential, scheme case-insensitive (RFC 9110 §11.1). Two credentials
 * (a comma-joined header), another scheme or a bare token throw `credential_malformed`.
 * @throws AuthError `credential_malformed` or `token_too_large`
 */
export function parseAuthorization(value: string, maxTokenBytes: number): string {
  // Leading and trailing whitespace around a field value is optional (RFC 9110 §5.5).
  let start = 0;
  let end = value.length;
  while (start < end && isBlank(value.charCodeAt(start))) start++;
  while (end > start && isBlank(value.charCodeAt(end - 1))) end--;

  // `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, with tabs tolerated.
  if (
    !startsWithBearer(value, start) ||
    (start + 6 < end && !isBlank(value.charCodeAt(start + 6)))
  ) {
    // Another scheme, or a bare token: either way not a Bearer credential.
    throw malformed('Authorization scheme is not Bearer');
  }
  let at = start + 6;
  while (at < end && isBlank(value.charCodeAt(at))) at++;
  if (at === end) throw malformed('Authorization Bearer credential is empty');
  const token = value.slice(at, end);
  checkTokenSize(token, maxTokenBytes);
  // A comma (a second credential joined by `Headers.get`), a space or a quote fails here.
  if (!isToken68(token)) throw malformed('Authorization header is not one Bearer token');
  return token;
}

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

/**
 * Reads the one cookie named `name` from a `Cookie` header (RFC 6265 §5.4). An empty value
 * counts as absent: a signed-out browser keeps the cookie with an empty value. Two different
 * non-empty values (a sibling domain may plant a second one) are malformed.
 */
export function readCookie(header: string, name: string): string | undefined {
  let found: string | undefined;
  // `;` separates cookies (RFC 6265 §4.2.1); a `,` appears where an HTTP/2 hop or
  // `Headers.get` joined several Cookie fields (RFC 9113 §8.2.3). A cookie-value never holds
  // either character (RFC 6265 §4.1.1), so both are separators.
  for (const pair of header.split(/[;,]/)) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    // RFC 6265 §4.1.1 allows the value in double quotes.
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    if (value === '') continue;
    if (found !== undefined && found !== value) throw malformed(`cookie ${name} appears twice`);
    found = value;
  }
  return found;
}

/** A bare token from a header, cookie or query parameter: size first, then token68 syntax. */
function bareToken(value: string, where: string, maxTokenBytes: number): string {
  checkTokenSize(value, maxTokenBytes);
  if (!isToken68(value)) throw malformed(`${where} is not one token`);
  return value;
}

/**
 * Finds the request's credential by the configured sources, in this order: `Authorization`
 * (when `bearer` is on), the configured header, the cookie (with `bearer` on, only when no
 * `Authorization` header is present), then the route's query parameter. A query credential
 * next to any other credential is malformed (RFC 6750 §2: one method per request).
 * @returns `undefined` when there is no credential at all.
 * @throws AuthError `credential_malformed` or `token_too_large`
 */
export function extractCredential(
  req: AuthRequest,
  settings: CredentialSettings,
  rule?: RouteRule,
): Credential | undefined {
  const max = settings.maxTokenBytes;
  const found = fromHeaders(req, settings, max);
  const parameter = rule?.queryParameter;
  const queryValue = parameter === undefined ? null : req.query(parameter);
  if (queryValue === null || queryValue === '') return found;
  if (found) throw malformed('credential sent in more than one way');
  return { token: bareToken(queryValue, `query parameter ${parameter}`, max), source: 'query' };
}

function fromHeaders(
  req: AuthRequest,
  settings: CredentialSettings,
  max: number,
): Credential | undefined {
  const authorization = settings.bearer ? req.header('authorization') : null;
  if (authorization !== null)
    return { token: parseAuthorization(authorization, max), source: 'bearer' };

  if (settings.header !== undefined) {
    const value = req.header(settings.header);
    if (value !== null) {
      const trimmed = value.trim();
      if (trimmed === '') throw malformed(`${settings.header} header is empty`);
      return { token: bareToken(trimmed, `${settings.header} header`, max), source: 'header' };
    }
  }

  // Reached with bearer on only when there is no `Authorization` header: a present one is the
  // credential, read or refused above, never passed over for the cookie. With bearer off it is
  // the application's own (Basic, its own tokens), not ours, so it does not hide the cookie.
  if (settings.cookie !== undefined) {
    const cookieHeader = req.header('cookie');
    const value = cookieHeader === null ? undefined : readCookie(cookieHeader, settings.cookie);
    if (value !== undefined) {
      return { token: bareToken(value, `cookie ${settings.cookie}`, max), source: 'cookie' };
    }
  }
  return undefined;
}
