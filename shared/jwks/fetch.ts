/**
 * One bounded HTTP GET for a key set or a discovery document: a timeout, a cap on the body
 * size read from the stream, and no silent redirects. Every failure becomes an
 * {@link AuthError} (`key_set_unavailable`, or `key_set_invalid` for a body that is not text)
 * whose message says what the provider did, so the adapters can log it; the caller decides
 * what a failure means for the cache.
 */
import { AuthError } from '../errors.ts';
import { withDeadline } from './deadline.ts';
import { retryAfterSeconds } from './freshness.ts';

/** Limits and validators for one fetch. */
export interface FetchOptions {
  readonly timeoutSeconds: number;
  readonly maxResponseBytes: number;
  /** Sent as `If-None-Match` (RFC 9110 §13.1.2). */
  readonly etag?: string | undefined;
  /** Sent as `If-Modified-Since` (RFC 9110 §13.1.3). */
  readonly lastModified?: string | undefined;
}

/** A successful answer: the body of a 200, or a 304 that revalidated what we hold. */
export type FetchResult =
  | { readonly status: 200; readonly headers: Headers; readonly body: string }
  | { readonly status: 304; readonly headers: Headers };

/**
 * GETs `url` with `fetchFn`. Resolves for 200 and 304 only; throws `key_set_unavailable`
 * for a timeout, a network error, a redirect, another status, or an oversized body, and
 * `key_set_invalid` for a body that is not UTF-8.
 */
export async function fetchBounded(
  fetchFn: typeof fetch,
  url: string,
  options: FetchOptions,
  now: number,
): Promise<FetchResult> {
  const controller = new AbortController();
  const work = exchange(fetchFn, url, options, now, controller.signal);
  return withDeadline(work, options.timeoutSeconds, () => {
    controller.abort();
    return unavailable(url, `no answer within ${options.timeoutSeconds} s (fetchTimeoutSeconds)`);
  });
}

/** The request and the reading of its answer, without the deadline. */
async function exchange(
  fetchFn: typeof fetch,
  url: string,
  options: FetchOptions,
  now: number,
  signal: AbortSignal,
): Promise<FetchResult> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.etag) headers['if-none-match'] = options.etag;
  if (options.lastModified) headers['if-modified-since'] = options.lastModified;

  let response: Response;
  try {
    // `redirect: 'manual'`: a key-set address that moved is an operator matter; following it
    // silently would let whoever controls the redirect target choose our keys.
    response = await fetchFn(url, { method: 'GET', headers, redirect: 'manual', signal });
  } catch (error) {
    throw unavailable(url, `request failed (${describe(error)})`);
  }

  if (response.status === 304) {
    await discard(response);
    return { status: 304, headers: response.headers };
  }
  if ((response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
    const location = response.headers.get('location');
    await discard(response);
    throw unavailable(
      url,
      `answered with redirect ${response.status}${location ? ` to ${location}` : ''}; ` +
        'redirects are not followed, configure the final address',
    );
  }
  if (response.redirected) {
    // A `fetch` that followed the redirect anyway (a wrapper or polyfill that drops
    // `redirect: 'manual'`): the keys would come from an address nobody configured.
    await discard(response);
    throw unavailable(
      url,
      `was redirected to ${response.url || 'another address'}; ` +
        'redirects are not followed, configure the final address',
    );
  }
  if (response.status !== 200) {
    await discard(response);
    const retryAfter = retryAfterSeconds(response.headers, now);
    throw unavailable(url, `answered with status ${response.status}`, retryAfter);
  }

  const body = await readCapped(response, options.maxResponseBytes, url);
  return { status: 200, headers: response.headers, body };
}

/** Reads the body as UTF-8, stopping as soon as it passes `maxBytes`. */
async function readCapped(response: Response, maxBytes: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await discard(response);
    throw tooLarge(url, maxBytes);
  }
  if (!response.body) return '';

  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(url, maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof AuthError) throw error;
    throw unavailable(url, `body read failed (${describe(error)})`);
  }

  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  // JSON exchanged between systems must be UTF-8 (RFC 8259 §8.1). Decoding leniently would
  // turn a Latin-1 or UTF-16 body into replacement characters and keys whose `kid` matches
  // nothing; refusing names the real problem. A UTF-8 byte order mark is dropped.
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AuthError('key_set_invalid', `Fetch of ${url}: the body is not UTF-8 text`);
  }
}

/** Releases a body we do not read, so the connection can be reused or closed. */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

function tooLarge(url: string, maxBytes: number): AuthError {
  return unavailable(url, `body is larger than ${maxBytes} bytes (maxResponseBytes)`);
}

function unavailable(url: string, what: string, retryAfter?: number): AuthError {
  return new AuthError(
    'key_set_unavailable',
    `Fetch of ${url}: ${what}`,
    retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter },
  );
}

/** A short, non-secret description of a network error (its name and cause code). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const code = cause && typeof cause.code === 'string' ? `: ${cause.code}` : '';
  return `${error.name}${code}`;
}
