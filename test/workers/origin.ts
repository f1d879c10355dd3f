/**
 * A loopback HTTP server that plays the protected origin: it records every request it receives
 * (method, URL, headers, body) and answers 200, so tests can assert what the gate forwarded and
 * what it stripped, and that a denied request never arrived.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the origin saw it. */
export interface Received {
  method: string;
  /** Path and query as sent on the request line. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The echo origin. */
export interface Origin {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  received: Received[];
  /** Requests carrying `x-test-id: id`. */
  withId(id: string): Received[];
  close(): Promise<void>;
}

/** Starts an echo origin on an ephemeral loopback port. */
export async function startOrigin(): Promise<Origin> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-origin': 'echo' });
      res.end(JSON.stringify({ origin: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    received,
    withId: (id) => received.filter((r) => r.headers['x-test-id'] === id),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
