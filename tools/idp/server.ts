/**
 * The local identity provider: a loopback HTTP server that publishes the key store as a JWK Set
 * and an OpenID configuration (OpenID Connect Discovery 1.0 §3), and mints tokens on request so
 * the demo needs no account anywhere. It listens on 127.0.0.1 only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { KeyStore } from './keystore.ts';
import { LOCAL_AUDIENCE, MintError, type MintOptions, mintToken } from './mint.ts';

/** A running local provider. */
export interface LocalProvider {
  /** `http://127.0.0.1:PORT`: also the issuer (`iss`) of the tokens it mints. */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly tokenUrl: string;
  close(): Promise<void>;
}

/** Paths the provider serves. */
export const PROVIDER_PATHS = {
  discovery: '/.well-known/openid-configuration',
  jwks: '/.well-known/jwks.json',
  token: '/token',
} as const;

function send(res: ServerResponse, status: number, body: unknown, cacheSeconds?: number): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  // A real provider's max-age drives the gate's key-set cache; keep it short for the demo.
  headers['cache-control'] = cacheSeconds ? `public, max-age=${cacheSeconds}` : 'no-store';
  res.writeHead(status, headers).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new MintError('request body larger than 64 KiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Mint choices from name=value pairs (a query string or a form body); values are text. */
function fromPairs(pairs: URLSearchParams): Record<string, unknown> {
  const fields = Object.fromEntries(pairs);
  const options: Record<string, unknown> = { ...fields };
  for (const name of ['lifetimeSeconds', 'notBeforeOffsetSeconds'] as const) {
    if (fields[name] === undefined) continue;
    const seconds = Number(fields[name]);
    if (!Number.isFinite(seconds)) throw new MintError(`${name} must be a number of seconds`);
    options[name] = seconds;
  }
  if (fields.claims !== undefined) {
    try {
      options.claims = JSON.parse(fields.claims);
    } catch {
      throw new MintError('claims must be a JSON object, e.g. claims={"role":"ops"}');
    }
  }
  return options;
}

/**
 * Reads mint choices from a JSON object body, a form body (`scope=admin&grant_type=...`, as
 * OAuth 2.0 clients send to a token endpoint, RFC 6749 §4.4.2) or, for `GET`, the query string.
 * A body that opens with `{` is JSON whatever its content type: `curl -d '{...}'` labels JSON
 * as a form.
 */
function mintRequest(
  url: URL,
  body: string,
  contentType: string | undefined,
): Partial<MintOptions> & Record<string, unknown> {
  if (body.trim() === '') return fromPairs(url.searchParams);
  const json = body.trimStart().startsWith('{') || /\bjson\b/i.test(contentType ?? '');
  if (!json) return fromPairs(new URLSearchParams(body));
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new MintError(
      'the body is not valid JSON: send a JSON object ({"scope":"admin"}) or a form (scope=admin)',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MintError('the body must be a JSON object or a form');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Starts the provider on `127.0.0.1:port` (0: any free port). Tokens it mints default to its own
 * issuer and {@link LOCAL_AUDIENCE}.
 */
export async function startLocalProvider(
  store: KeyStore,
  options: { port?: number; cacheSeconds?: number } = {},
): Promise<LocalProvider> {
  const sockets = new Set<Socket>();
  let issuer = '';

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const handle = async (): Promise<void> => {
      if (req.method === 'GET' && url.pathname === PROVIDER_PATHS.discovery) {
        send(
          res,
          200,
          {
            issuer,
            jwks_uri: `${issuer}${PROVIDER_PATHS.jwks}`,
            token_endpoint: `${issuer}${PROVIDER_PATHS.token}`,
            id_token_signing_alg_values_supported: store.keys.map((key) => key.alg),
            response_types_supported: ['token'],
            subject_types_supported: ['public'],
          },
          options.cacheSeconds ?? 60,
        );
        return;
      }
      if (req.method === 'GET' && url.pathname === PROVIDER_PATHS.jwks) {
        send(res, 200, store.jwks(), options.cacheSeconds ?? 60);
        return;
      }
      if (
        (req.method === 'POST' || req.method === 'GET') &&
        url.pathname === PROVIDER_PATHS.token
      ) {
        const body = req.method === 'POST' ? await readBody(req) : '';
        const choices = mintRequest(url, body, req.headers['content-type']);
        const minted = await mintToken(store, { audience: LOCAL_AUDIENCE, ...choices, issuer });
        const exp = minted.payload.exp;
        send(res, 200, {
          access_token: minted.token,
          token_type: 'Bearer',
          ...(exp !== undefined ? { expires_in: exp - (minted.payload.iat ?? exp) } : {}),
        });
        return;
      }
      send(res, 404, { error: 'not_found' });
    };
    handle().catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      send(res, 400, { error: 'invalid_request', error_description: message });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  issuer = `http://127.0.0.1:${port}`;

  return {
    issuer,
    jwksUrl: `${issuer}${PROVIDER_PATHS.jwks}`,
    tokenUrl: `${issuer}${PROVIDER_PATHS.token}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
