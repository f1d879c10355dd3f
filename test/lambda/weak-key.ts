/**
 * A 1024-bit RSA key (C02): `jose` refuses to generate or sign with one, which is the point, so
 * the key is made with WebCrypto directly and the token signed by hand.
 */
import { exportJWK } from 'jose';
import { b64url, type TestKey } from '../fixtures/keys.ts';

const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** A 1024-bit RS256 key pair with its public JWK, published like any other key. */
export async function weakRsaKey(kid: string): Promise<TestKey> {
  const pair = (await crypto.subtle.generateKey(
    { ...ALGORITHM, modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, use: 'sig', alg: 'RS256' };
  return { kid, alg: 'RS256', privateKey: pair.privateKey, publicJwk };
}

/** A compact RS256 JWS over `payload`, signed with `key` without jose's key-length check. */
export async function signWithWeakKey(key: TestKey, payload: object): Promise<string> {
  const input = `${b64url(JSON.stringify({ alg: 'RS256', kid: key.kid, typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  const signature = await crypto.subtle.sign(
    ALGORITHM,
    key.privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${b64url(new Uint8Array(signature))}`;
}
