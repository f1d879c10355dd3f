/**
 * Header names as an origin compares them. Names are case-insensitive (RFC 9110 §5.1), and
 * CGI-style servers (CGI, WSGI, PHP, Rack) map both `X-Auth-Subject` and `X_Auth_Subject` to
 * `HTTP_X_AUTH_SUBJECT` (RFC 3875 §4.1.18), so `_` and `-` are one character to them too.
 */

/** `name` in lower case with `_` read as `-`: two names that fold alike are one header. */
export function foldHeaderName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}
