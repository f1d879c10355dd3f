/**
 * Gets the document `jwks` examines from what the user typed: a file, a key-set URL, a
 * discovery URL or an issuer. Network reads go through the core's bounded fetch and discovery
 * rules, so a redirect, a timeout or an issuer mismatch shows up here exactly as the gate
 * would meet it.
 */
import { CONFIG_DEFAULTS } from '../../shared/config/defaults.ts';
import { AuthError } from '../../shared/errors.ts';
import { discoveryUrl, fetchBounded, jwksUriFromDiscovery } from '../../shared/jwks/index.ts';
import { readUserFile } from '../lib/files.ts';
import { UsageError } from '../lib/output.ts';
import { existingFile } from '../lib/paths.ts';

/** A loaded key-set document and where it came from. */
export interface LoadedDocument {
  /** `file` or `url`. */
  kind: 'file' | 'url';
  /** The file path or the final URL read. */
  location: string;
  /** How the address was found: given directly, or from a discovery document. */
  via: 'direct' | 'discovery';
  /** The discovery document's address, when one was read. */
  discoveryUrl?: string;
  body: string;
  /** Response headers (URL sources only). */
  headers?: Headers;
  /** The instant the response arrived, epoch milliseconds. */
  receivedAt: number;
  /** Problems met on the way that did not stop the read (a failed discovery attempt). */
  notes: string[];
}

/** Reading options. */
export interface LoadOptions {
  /** Pick this top-level member of a JSON file that wraps several documents. */
  member?: string;
  fetch?: typeof fetch;
  now?: () => number;
}

const limits = {
  timeoutSeconds: CONFIG_DEFAULTS.cache.fetchTimeoutSeconds,
  maxResponseBytes: CONFIG_DEFAULTS.cache.maxResponseBytes,
};

function pickMember(body: string, member: string, location: string): string {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    throw new UsageError(`--member ${member}: ${location} is not JSON`);
  }
  if (typeof document !== 'object' || document === null || !(member in document)) {
    throw new UsageError(`--member ${member}: ${location} has no top-level member "${member}"`);
  }
  return JSON.stringify((document as Record<string, unknown>)[member]);
}

function hasMember(body: string, member: string): boolean {
  try {
    const document = JSON.parse(body) as unknown;
    return typeof document === 'object' && document !== null && member in document;
  } catch {
    return false;
  }
}

async function get(fetchFn: typeof fetch, url: string, now: number) {
  const result = await fetchBounded(fetchFn, url, limits, now);
  if (result.status !== 200)
    throw new UsageError(`${url} answered 304 to a request without validators`);
  return result;
}

/** Follows a discovery document to its key set. */
async function viaDiscovery(
  fetchFn: typeof fetch,
  issuer: string,
  now: () => number,
  notes: string[],
): Promise<LoadedDocument> {
  const address = discoveryUrl(issuer);
  const discovery = await get(fetchFn, address, now());
  const jwksUri = jwksUriFromDiscovery(discovery.body, issuer);
  const response = await get(fetchFn, jwksUri, now());
  return {
    kind: 'url',
    location: jwksUri,
    via: 'discovery',
    discoveryUrl: address,
    body: response.body,
    headers: response.headers,
    receivedAt: now(),
    notes,
  };
}

/**
 * Loads `target`: an existing file; a URL whose answer is a JWK Set; a discovery URL (or a URL
 * that answers with an OpenID configuration), followed to its `jwks_uri`; or an issuer, whose
 * discovery document is read from `/.well-known/openid-configuration`.
 */
export async function loadKeySetDocument(
  target: string,
  options: LoadOptions = {},
): Promise<LoadedDocument> {
  const now = options.now ?? Date.now;
  const file = existingFile(target);
  if (file !== undefined) {
    const raw = await readUserFile(target, {
      insteadOfDirectory: 'one key-set file in it, or a URL',
    });
    const body = options.member !== undefined ? pickMember(raw, options.member, file) : raw;
    return { kind: 'file', location: file, via: 'direct', body, receivedAt: now(), notes: [] };
  }
  if (!/^https?:\/\//i.test(target)) {
    throw new UsageError(`${target} is neither an existing file nor an http(s) URL`);
  }

  const fetchFn = options.fetch ?? fetch;
  const suffix = '/.well-known/openid-configuration';
  if (target.endsWith(suffix)) {
    return viaDiscovery(fetchFn, target.slice(0, -suffix.length), now, []);
  }

  const notes: string[] = [];
  try {
    const response = await get(fetchFn, target, now());
    if (hasMember(response.body, 'jwks_uri') && !hasMember(response.body, 'keys')) {
      const issuer = (JSON.parse(response.body) as { issuer?: unknown }).issuer;
      if (typeof issuer === 'string') return viaDiscovery(fetchFn, issuer, now, notes);
    }
    if (hasMember(response.body, 'keys')) {
      return {
        kind: 'url',
        location: target,
        via: 'direct',
        body: response.body,
        headers: response.headers,
        receivedAt: now(),
        notes,
      };
    }
    notes.push(`${target} did not answer with a JWK Set; tried it as an issuer`);
    try {
      return await viaDiscovery(fetchFn, target, now, notes);
    } catch {
      // Not an issuer either: report what the address itself served.
      return {
        kind: 'url',
        location: target,
        via: 'direct',
        body: response.body,
        headers: response.headers,
        receivedAt: now(),
        notes: [],
      };
    }
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    notes.push(`${target}: ${error.message}; tried it as an issuer`);
    try {
      return await viaDiscovery(fetchFn, target, now, notes);
    } catch (discoveryError) {
      const reason =
        discoveryError instanceof Error ? discoveryError.message : String(discoveryError);
      throw new UsageError(`${error.message}\nAs an issuer: ${reason}`);
    }
  }
}
