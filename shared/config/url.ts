/**
 * Which addresses the verifier may fetch keys and discovery documents from: `https` only, with
 * plain `http` allowed for loopback hosts so a developer can run a local issuer.
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
