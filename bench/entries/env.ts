/**
 * The settings the minimal contender Workers read, and their common forwarding step. Each
 * contender Worker (`worker-*.ts`) is what a user of that library would deploy as a gate: read
 * the bearer token, verify it against the provider's key set, forward or answer 401. They exist
 * to be bundled and weighed (the size figure); they are not run.
 */
export interface GateEnv {
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  JWKS_URL: string;
  ORIGIN_URL: string;
}

/** The bearer token of `request`, or `undefined`. */
export function bearer(request: Request): string | undefined {
  const match = /^Bearer +(\S+)$/i.exec(request.headers.get('authorization') ?? '');
  return match?.[1];
}

/** Forwards `request` to the origin with the subject attached. */
export function forward(
  request: Request,
  env: GateEnv,
  subject: string | undefined,
): Promise<Response> {
  const url = new URL(request.url);
  const outgoing = new Request(new URL(url.pathname + url.search, env.ORIGIN_URL), request);
  outgoing.headers.set('x-auth-subject', subject ?? '');
  return fetch(outgoing);
}

/** The answer to a request without a valid token. */
export function unauthorized(): Response {
  return new Response('unauthorized', {
    status: 401,
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });
}
