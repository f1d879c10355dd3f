/** A minimal gate on Hono: an app with the `jwk` middleware on every route, forwarding on. */
import { Hono } from 'hono';
import { jwk } from 'hono/jwk';
import { forward, type GateEnv } from './env.ts';

const app = new Hono<{ Bindings: GateEnv; Variables: { jwtPayload: { sub?: string } } }>();

app.use('*', (c, next) =>
  jwk({
    jwks_uri: c.env.JWKS_URL,
    alg: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    verification: { iss: c.env.JWT_ISSUER, aud: c.env.JWT_AUDIENCE },
  })(c, next),
);
app.all('*', (c) => forward(c.req.raw, c.env, c.get('jwtPayload')?.sub));

export default app;
