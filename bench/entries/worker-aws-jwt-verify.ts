/** A minimal gate on `aws-jwt-verify` (its Web build): `JwtVerifier` with a remote key set. */
import { JwtVerifier } from 'aws-jwt-verify';
import { bearer, forward, type GateEnv, unauthorized } from './env.ts';

let verifier: ReturnType<typeof JwtVerifier.create> | undefined;

export default {
  async fetch(request: Request, env: GateEnv): Promise<Response> {
    verifier ??= JwtVerifier.create({
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      jwksUri: env.JWKS_URL,
    });
    const token = bearer(request);
    if (!token) return unauthorized();
    try {
      const payload = await verifier.verify(token);
      return forward(request, env, payload.sub);
    } catch {
      return unauthorized();
    }
  },
};
