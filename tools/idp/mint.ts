/**
 * Token minting for the local identity provider: the one place that turns a few readable
 * choices (subject, audience, scopes, lifetime, algorithm, key) into a signed JWT. The CLI's
 * `mint` command and the provider's `/token` endpoint both call it.
 */
import { type JWTHeaderParameters, type JWTPayload, SignJWT } from 'jose';
import type { KeyStore, LocalKey } from './keystore.ts';

/** The audience the demo configuration accepts. */
export const LOCAL_AUDIENCE = 'edge-jwt-demo';

/** What a minted token should say. Every member has a sensible default. */
export interface MintOptions {
  /** `iss`; required because it must match the gate's `JWT_ISSUER`. */
  issuer: string;
  /** `sub`; default `demo-user`. */
  subject?: string;
  /** `aud`; default {@link LOCAL_AUDIENCE}. An empty array leaves `aud` out. */
  audience?: string | string[];
  /** Space-separated `scope` (RFC 8693 §4.2); absent: no `scope` claim. */
  scope?: string;
  /** Extra claims, merged last (they may override the registered ones on purpose). */
  claims?: Record<string, unknown>;
  /** Lifetime in seconds (`exp - iat`); default 3600. `null` leaves `exp` out. */
  lifetimeSeconds?: number | null;
  /** `nbf` as an offset in seconds from `iat`; absent: no `nbf`. */
  notBeforeOffsetSeconds?: number;
  /** The issuing instant in epoch milliseconds; default now. */
  nowMs?: number;
  /** Which algorithm to sign with; default RS256. */
  alg?: string;
  /** Which key to sign with, by `kid`; default the local key for `alg`. */
  keyId?: string;
  /** Header `kid` to send instead of the signing key's own (to test unknown keys). */
  headerKid?: string;
  /** Header `typ`; default `JWT`. */
  typ?: string;
}

/** A minted token with the parts it was built from. */
export interface MintedToken {
  token: string;
  header: JWTHeaderParameters;
  payload: JWTPayload;
  key: { kid: string; alg: string };
}

/** Thrown for a choice the key store cannot satisfy (unknown key or algorithm). */
export class MintError extends Error {
  override readonly name = 'MintError';
}

function chooseKey(store: KeyStore, options: MintOptions): LocalKey {
  const alg = options.alg ?? 'RS256';
  const key = store.find(options.keyId !== undefined ? { kid: options.keyId } : { alg });
  if (!key) {
    const known = store.keys.map((k) => `${k.kid} (${k.alg})`).join(', ');
    const wanted = options.keyId !== undefined ? `key "${options.keyId}"` : `algorithm ${alg}`;
    throw new MintError(`the local provider has no ${wanted}; it has: ${known}`);
  }
  if (options.alg !== undefined && key.alg !== options.alg) {
    throw new MintError(`key "${key.kid}" signs ${key.alg}, not ${options.alg}`);
  }
  return key;
}

/** Signs a token with the local provider's key. */
export async function mintToken(store: KeyStore, options: MintOptions): Promise<MintedToken> {
  const key = chooseKey(store, options);
  const iat = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const lifetime = options.lifetimeSeconds === undefined ? 3600 : options.lifetimeSeconds;
  const audience = options.audience ?? LOCAL_AUDIENCE;

  const payload: JWTPayload & Record<string, unknown> = {
    iss: options.issuer,
    sub: options.subject ?? 'demo-user',
    iat,
  };
  if (!(Array.isArray(audience) && audience.length === 0)) payload.aud = audience;
  if (lifetime !== null) payload.exp = iat + lifetime;
  if (options.notBeforeOffsetSeconds !== undefined) {
    payload.nbf = iat + options.notBeforeOffsetSeconds;
  }
  if (options.scope !== undefined) payload.scope = options.scope;
  Object.assign(payload, options.claims);

  const header: JWTHeaderParameters = {
    alg: key.alg,
    kid: options.headerKid ?? key.kid,
    typ: options.typ ?? 'JWT',
  };
  const token = await new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
  return { token, header, payload, key: { kid: key.kid, alg: key.alg } };
}
