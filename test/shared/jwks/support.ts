/**
 * Test support for the key-set cache: a configuration builder, a clock the test moves by hand,
 * a runtime around the real `fetch` (so requests reach the loopback provider), an in-memory
 * store tier, and the paths of the real provider data in ../shared/realdata.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  AuthConfig,
  CachePolicy,
  IssuerConfig,
  KeySetSnapshot,
  KeySetStore,
  Runtime,
} from '../../../shared/types.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** `../shared/realdata` beside the repository. */
export const realdata = path.resolve(repoRoot, '../shared/realdata');

/** The bytes of a real-data file as text, exactly as on disk. */
export function realFile(relative: string): string {
  return readFileSync(path.join(realdata, relative), 'utf8');
}

/** The policy of CASES.md C15 (fresh 10 min, cooldown 30 s) with test-sized other values. */
export const POLICY: CachePolicy = {
  defaultMaxAgeSeconds: 600,
  minMaxAgeSeconds: 60,
  maxMaxAgeSeconds: 86_400,
  staleWindowSeconds: 3600,
  failureBackoffSeconds: 10,
  unknownKidCooldownSeconds: 30,
  fetchTimeoutSeconds: 5,
  maxResponseBytes: 64 * 1024,
};

/** An issuer configuration; `jwksUrl: undefined` means discovery. */
export function issuerConfig(issuer: string, jwksUrl: string | undefined): IssuerConfig {
  return {
    issuer,
    provider: 'generic',
    jwksUrl,
    audiences: ['api'],
    algorithms: ['RS256', 'ES256', 'EdDSA'],
    clockToleranceSeconds: 0,
    maxTokenAgeSeconds: undefined,
    typ: undefined,
    requiredClaims: [],
    profile: {},
  };
}

/** A whole configuration around `issuers` and a cache policy. */
export function authConfig(issuers: IssuerConfig[], policy: Partial<CachePolicy> = {}): AuthConfig {
  return {
    issuers,
    routes: [],
    credentials: { bearer: true, cookie: undefined, header: undefined, maxTokenBytes: 8192 },
    forwardClaims: {},
    identityHeaders: { subject: 'x-auth-subject', issuer: 'x-auth-issuer' },
    forwardAuthorization: false,
    corsOrigins: [],
    realm: 'test',
    cache: { ...POLICY, ...policy },
    tokenCacheEntries: 0,
  };
}

/** A clock that only moves when the test says so. */
export interface Clock {
  now(): number;
  /** Moves the clock forward by seconds. */
  advance(seconds: number): void;
  set(ms: number): void;
}

/** A controlled clock starting at `startMs` (default 0: the cooldown must not trip on it). */
export function clock(startMs = 0): Clock {
  let current = startMs;
  return {
    now: () => current,
    advance: (seconds) => {
      current += seconds * 1000;
    },
    set: (ms) => {
      current = ms;
    },
  };
}

/** A store tier in a Map, counting reads and writes. */
export interface MemoryStore extends KeySetStore {
  readonly data: Map<string, KeySetSnapshot>;
  reads: number;
  writes: number;
}

/** An in-memory store tier (the Worker backs the same interface with KV). */
export function memoryStore(): MemoryStore {
  const data = new Map<string, KeySetSnapshot>();
  const store: MemoryStore = {
    data,
    reads: 0,
    writes: 0,
    async get(url) {
      store.reads += 1;
      const snapshot = data.get(url);
      return snapshot === undefined ? undefined : structuredClone(snapshot);
    },
    async put(url, snapshot) {
      store.writes += 1;
      data.set(url, structuredClone(snapshot));
    },
  };
  return store;
}

/** A runtime on the real `fetch` with the test's clock. */
export function runtime(time: Clock, options: Partial<Omit<Runtime, 'now'>> = {}): Runtime {
  return {
    now: () => time.now(),
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    shareInFlight: options.shareInFlight ?? true,
    ...(options.store ? { store: options.store } : {}),
    ...(options.waitUntil ? { waitUntil: options.waitUntil } : {}),
  };
}

/**
 * A `fetch` that sends requests for the given https origins to the loopback provider instead,
 * so real discovery documents (which name their real hosts) can be served byte-exact locally.
 * Any other non-loopback address is refused: tests never leave the machine.
 */
export function routedFetch(providerUrl: string, origins: string[]): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (origins.includes(url.origin)) {
      const local = new URL(providerUrl);
      url.protocol = local.protocol;
      url.host = local.host;
      return fetch(url, init);
    }
    if (url.hostname === '127.0.0.1') return fetch(url, init);
    return Promise.reject(
      new TypeError(`test fetch refused a non-loopback address: ${url.origin}`),
    );
  };
}
