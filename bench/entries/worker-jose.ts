/** A minimal gate on `jose`: a remote key set (cached by jose) and `jwtVerify`. */
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { bearer, forward, type GateEnv, unauthorized } from './env.ts';

let keySet: JWTVerifyGetKey | undefined;

export default {
  async fetch(request: Request, env: GateEnv): Promise<Response> {
    keySet ??= createRemoteJWKSet(new URL(env.JWKS_URL));
    const token = bearer(request);
    if (!token) return unauthorized();
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer: env.JWT_ISSUER,
        audience: env.JWT_AUDIENCE,
      });
      return forward(request, env, payload.sub);
    } catch {
      return unauthorized();
    }
  },
};
