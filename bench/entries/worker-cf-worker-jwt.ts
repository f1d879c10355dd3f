/**
 * A minimal gate on `@tsndr/cloudflare-worker-jwt`: it has no key-set support, so the user
 * fetches the set, picks the key by `kid`, and checks `iss` and `aud` by hand.
 */
import jwt from '@tsndr/cloudflare-worker-jwt';
import { bearer, forward, type GateEnv, unauthorized } from './env.ts';

type PublishedKey = Parameters<typeof jwt.verify>[1] & { kid?: string };

let keys: PublishedKey[] | undefined;

export default {
  async fetch(request: Request, env: GateEnv): Promise<Response> {
    const token = bearer(request);
    if (!token) return unauthorized();
    keys ??= ((await (await fetch(env.JWKS_URL)).json()) as { keys: typeof keys }).keys;
    const { header } = jwt.decode(token);
    const key = keys?.find((k) => k.kid === (header as { kid?: string } | undefined)?.kid);
    if (!key || !header?.alg) return unauthorized();
    const decoded = await jwt.verify(token, key, { algorithm: header.alg });
    const payload = decoded?.payload;
    if (payload?.iss !== env.JWT_ISSUER || payload.aud !== env.JWT_AUDIENCE) return unauthorized();
    return forward(request, env, payload.sub);
  },
};
