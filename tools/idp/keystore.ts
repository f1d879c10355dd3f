/**
 * The local identity provider's signing keys: one generated key pair per algorithm, kept in a
 * file under `node_modules/.cache` so that `npm start` and `npm run mint` sign with the same keys
 * across runs. These are development keys for loopback use only; nothing here is ever deployed.
 */
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { UsageError } from '../lib/output.ts';
import { repoRoot } from '../lib/paths.ts';

/** Algorithms the local provider can sign with. */
export const LOCAL_ALGORITHMS = ['RS256', 'RS384', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;

/** One of {@link LOCAL_ALGORITHMS}. */
export type LocalAlgorithm = (typeof LOCAL_ALGORITHMS)[number];

/** A signing key of the local provider. */
export interface LocalKey {
  readonly kid: string;
  readonly alg: LocalAlgorithm;
  readonly privateKey: CryptoKey;
  /** The public JWK as the provider publishes it (`kid`, `alg`, `use: sig`). */
  readonly publicJwk: JWK;
}

/** The provider's keys, in publication order. */
export interface KeyStore {
  readonly keys: readonly LocalKey[];
  /** The key with this `kid`, or the first key for `alg` when `kid` is absent. */
  find(options: { kid?: string; alg?: string }): LocalKey | undefined;
  /** The public JWK Set document. */
  jwks(): { keys: JWK[] };
}

/** Where the keys live unless `EDGE_JWT_KEYS` or an explicit path says otherwise. */
export function defaultKeyFile(): string {
  return (
    process.env.EDGE_JWT_KEYS ??
    resolve(repoRoot, 'node_modules/.cache/edge-jwt-authorizer/local-idp-keys.json')
  );
}

interface StoredKey {
  kid: string;
  alg: LocalAlgorithm;
  privateJwk: JWK;
}

/** The `kid` the local provider gives its key for `alg`: readable in logs and tokens. */
export function localKid(alg: LocalAlgorithm): string {
  return `local-${alg.toLowerCase()}`;
}

async function generate(alg: LocalAlgorithm): Promise<StoredKey> {
  const options = alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true };
  const { privateKey } = await generateKeyPair(alg, options);
  return { kid: localKid(alg), alg, privateJwk: await exportJWK(privateKey) };
}

/** The public half of a private JWK: drops every private member (RFC 7518 §6.2.2, §6.3.2). */
function publicPart(privateJwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...rest } = privateJwk;
  return rest;
}

async function toLocalKey(stored: StoredKey): Promise<LocalKey> {
  const privateKey = (await importJWK(stored.privateJwk, stored.alg)) as CryptoKey;
  const publicJwk: JWK = {
    ...publicPart(stored.privateJwk),
    kid: stored.kid,
    alg: stored.alg,
    use: 'sig',
  };
  return { kid: stored.kid, alg: stored.alg, privateKey, publicJwk };
}

/** Why `entry` cannot be a stored key, or `undefined` when it can. */
function storedKeyFault(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return 'a key is not a JSON object';
  const { kid, alg, privateJwk } = entry as Partial<Record<keyof StoredKey, unknown>>;
  if (typeof privateJwk !== 'object' || privateJwk === null || !('d' in privateJwk)) {
    // The usual mix-up: a published JWK Set (public keys) given where the signing keys go.
    return 'its keys have no private part (a published JWK Set cannot sign)';
  }
  if (typeof kid !== 'string') return 'a key has no kid';
  if (!LOCAL_ALGORITHMS.includes(alg as LocalAlgorithm)) {
    const known = LOCAL_ALGORITHMS.join(', ');
    return `a key has the algorithm ${JSON.stringify(alg)}, not one of ${known}`;
  }
  return undefined;
}

/** The refusal of a file that exists but cannot serve as the key store. */
function notAKeyStore(file: string, why: string): UsageError {
  // Only the default file is ours to delete; any other path was named by the user (`--keys`).
  const fix =
    file === defaultKeyFile()
      ? 'delete it, and the next run generates new keys'
      : 'give --keys the path of a key store (a missing file is created)';
  return new UsageError(`${file} is not a key store of the local provider: ${why}; ${fix}`);
}

/**
 * The keys saved in `file`; `undefined` when there is no file yet. A file that exists but is
 * not a key store is an error: signing with fresh keys instead would mint tokens that no
 * running provider publishes, and overwriting it could destroy someone's file.
 */
async function readStored(file: string): Promise<StoredKey[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw notAKeyStore(
      file,
      code === 'EISDIR' ? 'it is a directory' : `it cannot be read (${code})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw notAKeyStore(file, 'it is not JSON');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw notAKeyStore(file, 'it has no "keys" array');
  for (const entry of keys) {
    const fault = storedKeyFault(entry);
    if (fault !== undefined) throw notAKeyStore(file, fault);
  }
  return keys as StoredKey[];
}

/** Adds a key for every algorithm missing from `stored`; `undefined` when none was missing. */
async function complete(stored: StoredKey[]): Promise<StoredKey[] | undefined> {
  const missing = LOCAL_ALGORITHMS.filter((alg) => !stored.some((key) => key.alg === alg));
  if (missing.length === 0) return undefined;
  return [...stored, ...(await Promise.all(missing.map(generate)))];
}

/**
 * Saves new keys. A first save creates the file atomically and exclusively: when two processes
 * (two `npm start`s, parallel tests) generate at once, the first file wins and the other process
 * adopts it, so every process signs and publishes the same keys.
 */
async function save(file: string, keys: StoredKey[], replace: boolean): Promise<StoredKey[]> {
  await mkdir(dirname(file), { recursive: true });
  // Written whole to a private temporary file first, so no reader ever sees half a file.
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  try {
    if (replace) {
      await rename(temporary, file);
      return keys;
    }
    // link() fails with EEXIST when another process created the file first: adopt its keys.
    await link(temporary, file);
    return keys;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readStored(file)) ?? keys;
  } finally {
    await rm(temporary, { force: true });
  }
}

/**
 * Loads the key store from `file`, generating (and saving) a key for every algorithm that is
 * missing. `persist: false` keeps freshly generated keys in memory only (tests).
 */
export async function loadKeyStore(
  options: { file?: string; persist?: boolean } = {},
): Promise<KeyStore> {
  const file = options.file ?? defaultKeyFile();
  const persist = options.persist ?? true;
  const existing = persist ? await readStored(file) : undefined;
  const generated = await complete(existing ?? []);
  const stored =
    persist && generated ? await save(file, generated, existing !== undefined) : generated;
  const final = stored ?? existing ?? [];

  const keys = await Promise.all(final.map(toLocalKey));
  return {
    keys,
    find: ({ kid, alg }) =>
      kid !== undefined ? keys.find((key) => key.kid === kid) : keys.find((key) => key.alg === alg),
    jwks: () => ({ keys: keys.map((key) => key.publicJwk) }),
  };
}
