/**
 * The verifiers under comparison, each built once per algorithm and exposed as one function
 * `verify(token)` that resolves when the token is accepted and throws otherwise. The module uses
 * web-standard globals only, so the same code runs in Node (through tsx) and inside workerd
 * (bundled by esbuild into the bench Worker): the contenders are identical in both runtimes.
 */
import verifyCfJwt from '@tsndr/cloudflare-worker-jwt';
import { JwtVerifier } from 'aws-jwt-verify';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { verifyWithJwks } from 'hono/utils/jwt/jwt';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Suite } from './fixtures.ts';

/** Stable identifiers, used as JSON keys and table rows. */
export type ContenderId =
  | 'webcrypto'
  | 'jose'
  | 'aws-jwt-verify'
  | 'cf-worker-jwt'
  | 'hono'
  | 'ours-verify'
  | 'ours-request';

/** One verifier, ready to run. */
export interface Contender {
  readonly id: ContenderId;
  verify(token: string): Promise<unknown>;
}

/**
 * Builds one of this project's entry points (`ours.ts` does; passed in so this file has no
 * import of the core and bundles without it).
 */
export type OursFactory = (
  suite: Suite,
  entry: 'verify' | 'request',
  /** Names the instance in the counters (`cold`, `warm`): each path gets its own authorizer. */
  tag: string,
) => Promise<Contender['verify']>;

/** WebCrypto parameters per JWS algorithm (RFC 7518 §3.3, §3.4, §3.5; RFC 8037 §3.1). */
const WEBCRYPTO: Record<
  Suite['alg'],
  {
    importAs: RsaHashedImportParams | EcKeyImportParams | Algorithm;
    verifyAs: RsaPssParams | EcdsaParams | Algorithm;
  }
> = {
  RS256: {
    importAs: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    verifyAs: { name: 'RSASSA-PKCS1-v1_5' },
  },
  // RFC 7518 §3.5: the PSS salt is as long as the hash output.
  PS256: {
    importAs: { name: 'RSA-PSS', hash: 'SHA-256' },
    verifyAs: { name: 'RSA-PSS', saltLength: 32 },
  },
  ES256: {
    importAs: { name: 'ECDSA', namedCurve: 'P-256' },
    verifyAs: { name: 'ECDSA', hash: 'SHA-256' },
  },
  EdDSA: { importAs: { name: 'Ed25519' }, verifyAs: { name: 'Ed25519' } },
};

const encoder = new TextEncoder();

function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The public JWK without the members WebCrypto would check against its own names. */
function bareJwk(jwk: Record<string, unknown>): JsonWebKey {
  const { kid: _kid, alg: _alg, use: _use, ...rest } = jwk;
  return rest as JsonWebKey;
}

/**
 * The floor: `crypto.subtle.verify` with a key imported once and the token's signing input and
 * signature decoded ahead of time, so only the signature check is measured. No claim is read.
 */
async function webcrypto(suite: Suite): Promise<Contender> {
  const params = WEBCRYPTO[suite.alg];
  const jwk = suite.jwks.keys[0] as Record<string, unknown>;
  const key = await crypto.subtle.importKey('jwk', bareJwk(jwk), params.importAs, false, [
    'verify',
  ]);
  const decoded = new Map<
    string,
    { data: Uint8Array<ArrayBuffer>; signature: Uint8Array<ArrayBuffer> }
  >();
  for (const token of suite.tokens) {
    const dot = token.lastIndexOf('.');
    decoded.set(token, {
      data: encoder.encode(token.slice(0, dot)),
      signature: base64UrlBytes(token.slice(dot + 1)),
    });
  }
  return {
    id: 'webcrypto',
    async verify(token) {
      const input = decoded.get(token);
      if (!input) throw new Error('token not in the prepared pool');
      const ok = await crypto.subtle.verify(params.verifyAs, key, input.signature, input.data);
      if (!ok) throw new Error('signature did not verify');
      return ok;
    },
  };
}

/** What a careful user writes by hand: `jwtVerify` over a local key set, algorithms pinned. */
function jose(suite: Suite): Contender {
  const keySet = createLocalJWKSet(suite.jwks as Parameters<typeof createLocalJWKSet>[0]);
  const options = { issuer: suite.issuer, audience: suite.audience, algorithms: [suite.alg] };
  return { id: 'jose', verify: (token) => jwtVerify(token, keySet, options) };
}

/**
 * AWS's verifier with its key set cached up front (`cacheJwks`), so it never fetches. It has no
 * RSA-PSS support (its list: RS*, ES*, EdDSA): `undefined` for PS256.
 */
function awsJwtVerify(suite: Suite): Contender | undefined {
  if (suite.alg === 'PS256') return undefined;
  const verifier = JwtVerifier.create({
    issuer: suite.issuer,
    audience: suite.audience,
    jwksUri: suite.jwksUrl,
  });
  verifier.cacheJwks(suite.jwks as unknown as Jwks);
  return { id: 'aws-jwt-verify', verify: (token) => verifier.verify(token) };
}

/**
 * `@tsndr/cloudflare-worker-jwt`, given its best case: the key imported once and passed as a
 * `CryptoKey`. It checks neither `iss` nor `aud`, so the user's own check is added. It supports
 * RS256 and ES256 only (no PS256, no EdDSA): `undefined` for those.
 */
async function cfWorkerJwt(suite: Suite): Promise<Contender | undefined> {
  if (suite.alg !== 'RS256' && suite.alg !== 'ES256') return undefined;
  const params = WEBCRYPTO[suite.alg];
  const jwk = bareJwk(suite.jwks.keys[0] as Record<string, unknown>);
  const key = await crypto.subtle.importKey('jwk', jwk, params.importAs, false, ['verify']);
  const options = { algorithm: suite.alg, throwError: true };
  return {
    id: 'cf-worker-jwt',
    async verify(token) {
      const decoded = await verifyCfJwt.verify(token, key, options);
      const payload = decoded?.payload;
      if (payload?.iss !== suite.issuer || payload.aud !== suite.audience) {
        throw new Error('issuer or audience mismatch');
      }
      return decoded;
    },
  };
}

/** Hono's JWK verification with the keys given locally (its middleware calls the same function). */
function hono(suite: Suite): Contender {
  const options = {
    keys: suite.jwks.keys as Parameters<typeof verifyWithJwks>[1]['keys'],
    allowedAlgorithms: [suite.alg] as const,
    verification: { iss: suite.issuer, aud: suite.audience },
  };
  return { id: 'hono', verify: (token) => verifyWithJwks(token, options) };
}

/**
 * Builds every contender for one algorithm, this project's two included when `ours` is given.
 * Each is checked on one token before it is returned: a verifier that rejects the bench
 * tokens must not be timed.
 */
export async function makeContenders(
  suite: Suite,
  ours?: OursFactory,
  tag = '',
): Promise<Contender[]> {
  const list: (Contender | undefined)[] = [
    await webcrypto(suite),
    jose(suite),
    awsJwtVerify(suite),
    await cfWorkerJwt(suite),
    hono(suite),
  ];
  if (ours) {
    list.push({ id: 'ours-verify', verify: await ours(suite, 'verify', tag) });
    list.push({ id: 'ours-request', verify: await ours(suite, 'request', tag) });
  }
  const ready = list.filter((c): c is Contender => c !== undefined);
  // The pool's last token: the cold path starts at the first, and reaches the last only after
  // the rest of the pool has pushed it out of any token cache.
  const last = suite.tokens[suite.tokens.length - 1] as string;
  for (const contender of ready) {
    try {
      await contender.verify(last);
    } catch (error) {
      // The error's name only: some libraries put the whole token in their messages.
      const name =
        error instanceof Error
          ? `${error.name} ${(error as { code?: string }).code ?? ''}`
          : 'error';
      throw new Error(`${contender.id} rejected a bench token for ${suite.alg}: ${name}`);
    }
  }
  return ready;
}
