/**
 * The Lambda start-up anchor: a bare `jose` authorizer as a careful user would write it, a remote
 * key set and `jwtVerify`, answering API Gateway with a policy. Bundled by the bench with the
 * same esbuild settings as the project's Lambda, then imported in a fresh process.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';

// Created on the first call, not at import: building a remote key set reaches for `fetch`, and
// in Node 20 the first touch of `fetch` loads undici (tens of milliseconds). The anchor is the
// leanest import a careful user could write.
let keySet: JWTVerifyGetKey | undefined;

/** API Gateway TOKEN authorizer handler. */
export async function handler(event: { authorizationToken?: string; methodArn: string }) {
  const token = (event.authorizationToken ?? '').replace(/^Bearer +/i, '');
  keySet ??= createRemoteJWKSet(new URL(process.env.JWKS_URL ?? 'https://issuer.invalid/jwks'));
  try {
    const { payload } = await jwtVerify(token, keySet, {
      issuer: process.env.JWT_ISSUER,
      audience: process.env.JWT_AUDIENCE,
    });
    return {
      principalId: payload.sub ?? 'unknown',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
      },
    };
  } catch {
    throw new Error('Unauthorized');
  }
}
