/**
 * Runs the Worker under `wrangler dev` in local mode (workerd on this machine, no Cloudflare
 * login) on a loopback port, in its own process group so that stopping it ends wrangler,
 * esbuild and every workerd process it started.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { repoRoot } from '../lib/paths.ts';

/** A running `wrangler dev`. */
export interface WranglerDev {
  readonly url: string;
  /** The process group id (the wrangler process's pid). */
  readonly pgid: number;
  /** Recent output, for error messages. */
  output(): string;
  /** Settles when the wrangler process exits, for whatever reason. */
  readonly exited: Promise<void>;
  /** Stops the whole process group: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** A free loopback port, found by binding port 0 and releasing it. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return check();
}

/** Ends every process of the group; resolves when none is left. */
export async function stopGroup(pgid: number, graceMs = 5000): Promise<void> {
  if (!groupAlive(pgid)) return;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitFor(() => !groupAlive(pgid), graceMs)) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    return;
  }
  await waitFor(() => !groupAlive(pgid), graceMs);
}

/** Polls `url` until anything answers over HTTP, the child exits, or time runs out. */
async function waitUntilServing(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`wrangler dev exited (${child.exitCode ?? child.signalCode}) before serving`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return;
    } catch {
      await new Promise((done) => setTimeout(done, 250));
    }
  }
  throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs / 1000} s`);
}

/**
 * Starts `wrangler dev` for the repository's `wrangler.toml` with `vars` overriding its
 * variables, and waits until it answers `probePath`.
 */
export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  try {
    return await startOnce(options);
  } catch (error) {
    // A free port can be taken between finding it and wrangler binding it (parallel runs):
    // one more try on new ports; any other start-up failure fails the same way again.
    if (!(error instanceof Error) || !/EADDRINUSE|address already in use/i.test(error.message)) {
      throw error;
    }
    return startOnce(options);
  }
}

/** Options of {@link startWranglerDev}. */
export interface WranglerDevOptions {
  vars: Record<string, string>;
  persistDir: string;
  probePath?: string;
  timeoutMs?: number;
  /** Receives each output line of wrangler once it serves (request and log lines). */
  onOutput?: (line: string) => void;
}

async function startOnce(options: WranglerDevOptions): Promise<WranglerDev> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const args = [
    resolve(repoRoot, 'node_modules/wrangler/bin/wrangler.js'),
    'dev',
    '--local',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspectorPort),
    '--persist-to',
    options.persistDir,
    '--show-interactive-dev-session=false',
    ...Object.entries(options.vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    // Its own process group: one signal to -pgid reaches wrangler and all of workerd.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // Local mode needs no account; keep it from phoning home for metrics.
      WRANGLER_SEND_METRICS: 'false',
      // The default level, "log": the Worker's console.log decision lines are shown ("info"
      // would hide them).
      WRANGLER_LOG: 'log',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
    },
  });
  const pgid = child.pid;
  if (pgid === undefined) throw new Error('could not start wrangler dev');
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  let log = '';
  let ready = false;
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    log = (log + text).slice(-20_000);
    // Start-up chatter stays in the buffer (shown only if start-up fails); after that, the
    // Worker's own lines (one JSON decision line per request) go to the caller.
    if (ready && options.onOutput) {
      for (const line of text.split('\n')) if (line.trim() !== '') options.onOutput(line);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(`${url}${options.probePath ?? '/'}`, child, options.timeoutMs ?? 90_000);
    ready = true;
  } catch (error) {
    await stopGroup(pgid);
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n--- wrangler output ---\n${log}`);
  }

  return {
    url,
    pgid,
    output: () => log,
    exited,
    stop: () => stopGroup(pgid),
  };
}
