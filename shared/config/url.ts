/**
 * Which addresses the verifier may fetch keys and discovery documents from: `https` only, with
 * plain `http` allowed for loopback hosts so a developer can run a local issuer. Also the one
 * reading of a URL's origin, for configured origins and a request's `Referer`.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Returns why `address` may not be fetched, or `undefined` when it may. Credentials in the URL
 * are refused too: they would end up in logs and error messages.
 */
export function fetchUrlProblem(address: string): string | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  if (url.protocol === 'http:') return 'uses http, which is allowed only for loopback hosts';
  return `uses ${url.protocol.replace(/:$/, '')}, but only https is allowed`;
}

/** Whether `address` is an https URL (or loopback http) that may be fetched. */
export function isFetchableUrl(address: string): boolean {
  return fetchUrlProblem(address) === undefined;
}

/**
 * The serialised origin of `value` (RFC 6454 §6.1), or `undefined` when it is not a URL or its
 * origin is opaque (`null`: `data:`, `file:`), which no request can be trusted to come from.
 */
export function originOf(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}
