/**
 * The echo origin: a loopback HTTP server that answers every request with what it received
 * (method, path, headers) as JSON, so a user can see exactly which identity headers the gate
 * forwarded and which client headers it removed.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A running echo origin. */
export interface EchoOrigin {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  close(): Promise<void>;
}

/** What the echo answers. */
export interface EchoReply {
  method: string;
  path: string;
  query: string;
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Record<string, string>;
}

/** Headers whose values are credentials: the echo shows that they arrived, not what they hold. */
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'cf-access-jwt-assertion']);

function redact(value: string): string {
  const scheme = /^(\S+)\s/.exec(value)?.[1];
  return `${scheme ? `${scheme} ` : ''}<redacted, ${value.length} characters>`;
}

/** Starts the echo origin on `127.0.0.1:port` (0: any free port). */
export async function startEchoOrigin(options: { port?: number } = {}): Promise<EchoOrigin> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://echo.invalid');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      const joined = Array.isArray(value) ? value.join(', ') : value;
      headers[name] = SECRET_HEADERS.has(name) ? redact(joined) : joined;
    }
    const reply: EchoReply = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      headers,
    };
    // Drain the body so keep-alive connections stay usable; its content is not echoed.
    req.resume();
    req.on('end', () => {
      res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(`${JSON.stringify(reply, null, 2)}\n`);
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
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
