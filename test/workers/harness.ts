/**
 * Runs the Worker as wrangler bundles it (`dist/worker/index.js`) inside workerd through
 * miniflare, with the compatibility settings of `wrangler.toml`, and captures every line the
 * Worker logs. The bundle is rebuilt when a source file is newer than it.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare, type WorkerOptions } from 'miniflare';
import { parse as parseToml } from 'smol-toml';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The bundle `npm run build:worker` writes. */
export const BUNDLE = path.join(ROOT, 'dist/worker/index.js');
/** The real inputs beside the repository (see the common brief). */
export const REALDATA = path.resolve(ROOT, '../shared/realdata');

/** Newest modification time of the files the bundle is built from. */
function newestSourceMs(): number {
  let newest = 0;
  const visit = (entry: string) => {
    const stat = statSync(entry);
    if (stat.isDirectory()) {
      for (const name of readdirSync(entry)) visit(path.join(entry, name));
    } else if (/\.(ts|json|toml)$/.test(entry)) {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const source of ['workers', 'shared', 'wrangler.toml', 'package-lock.json']) {
    visit(path.join(ROOT, source));
  }
  return newest;
}

const isFresh = () => existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs >= newestSourceMs();

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Builds the bundle with `wrangler deploy --dry-run` when it is missing or older than its
 * sources. Test files run in parallel, so a lock directory keeps it to one build at a time and
 * the result is moved into place in one rename.
 */
export function ensureBundle(): void {
  if (isFresh()) return;
  const lock = path.join(ROOT, 'dist/.worker-build-lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 120_000) rmSync(lock, { recursive: true, force: true });
      pause(200);
    }
  }
  try {
    if (isFresh()) return;
    const outdir = mkdtempSync(path.join(ROOT, 'dist/.worker-build-'));
    execFileSync(
      path.join(ROOT, 'node_modules/.bin/wrangler'),
      ['deploy', '--dry-run', '--outdir', outdir],
      { cwd: ROOT, stdio: 'pipe', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
    );
    mkdirSync(path.dirname(BUNDLE), { recursive: true });
    renameSync(path.join(outdir, 'index.js'), BUNDLE);
    rmSync(outdir, { recursive: true, force: true });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The compatibility settings the Worker deploys with. */
export function wranglerSettings(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = parseToml(readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8')) as {
    compatibility_date: string;
    compatibility_flags?: string[];
  };
  return {
    compatibilityDate: toml.compatibility_date,
    compatibilityFlags: toml.compatibility_flags ?? [],
  };
}

/** A parsed JSON log line of the Worker. */
export type LogLine = Record<string, unknown> & { event?: string };

/** What the Worker wrote to stdout and stderr. */
export interface Output {
  /** Everything, raw: for "the token never appears" assertions. */
  text(): string;
  /** The JSON lines. */
  lines(): LogLine[];
  /** The JSON lines of one event kind. */
  events(kind: string): LogLine[];
  /** Waits (bounded) until a line matching `match` has arrived; workerd writes asynchronously. */
  waitFor(match: (line: LogLine) => boolean, count?: number): Promise<LogLine[]>;
}

/** Collects workerd's stdout and stderr. */
function captureOutput(): { output: Output; handle: WorkerHandleStdio } {
  let text = '';
  const handle: WorkerHandleStdio = (stdout, stderr) => {
    stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
  };
  const lines = (): LogLine[] =>
    text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as LogLine];
        } catch {
          return [];
        }
      });
  const output: Output = {
    text: () => text,
    lines,
    events: (kind) => lines().filter((line) => line.event === kind),
    async waitFor(match, count = 1) {
      for (let waited = 0; waited < 10_000; waited += 20) {
        const found = lines().filter(match);
        if (found.length >= count) return found;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no ${count} log line(s) matched; output was:\n${text}`);
    },
  };
  return { output, handle };
}

type WorkerHandleStdio = (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => void;

/** How to start a gate. */
export interface GateOptions {
  /** `env` vars (`JWT_ISSUER`, `AUTH_CONFIG`, `ORIGIN_URL`, ...). */
  vars: Record<string, unknown>;
  /** Bind a `JWKS_CACHE` KV namespace; a string persists it in that directory. */
  kv?: boolean | string;
  /** Start several Workers (separate isolates) on the same bindings and KV namespace. */
  workers?: number;
}

/** A running gate. */
export interface RunningGate {
  mf: Miniflare;
  output: Output;
  /** Sends a request to the gate (to worker `index` when several were started). */
  fetch(pathOrUrl: string, init?: GateRequestInit, index?: number): Promise<GateResponse>;
  /** Fires the cron trigger. */
  scheduled(index?: number): Promise<string>;
  /** Keys in the KV namespace, with their expiration (epoch seconds). */
  kvKeys(): Promise<{ name: string; expiration?: number }[]>;
  dispose(): Promise<void>;
}

/** Request options for {@link RunningGate.fetch}. */
export interface GateRequestInit {
  method?: string;
  headers?: Record<string, string> | [string, string][];
  body?: string;
  signal?: AbortSignal;
}

/** A response with its body already read. */
export interface GateResponse {
  status: number;
  headers: Headers;
  body: string;
  json(): Record<string, unknown>;
}

/** Starts the bundled Worker in workerd with `options`. */
export async function startGate(options: GateOptions): Promise<RunningGate> {
  ensureBundle();
  const { output, handle } = captureOutput();
  const settings = wranglerSettings();
  const count = options.workers ?? 1;
  const worker = (index: number): WorkerOptions => ({
    name: `gate${index}`,
    routes: [`gate${index}.test/*`],
    modules: true,
    scriptPath: BUNDLE,
    ...settings,
    bindings: options.vars as Record<string, string>,
    ...(options.kv ? { kvNamespaces: { JWKS_CACHE: 'jwks-cache' } } : {}),
  });
  const mf = new Miniflare({
    workers: Array.from({ length: count }, (_, index) => worker(index)),
    ...(typeof options.kv === 'string' ? { kvPersist: options.kv } : {}),
    handleRuntimeStdio: handle as never,
  });
  await mf.ready;
  let disposed: Promise<void> | undefined;

  // `dispatchFetch` enters through miniflare's router like a real client; each Worker answers
  // its own host (`gate0.test`, `gate1.test`, ...).
  const fetchGate = async (pathOrUrl: string, init: GateRequestInit = {}, index = 0) => {
    const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `https://gate${index}.test${pathOrUrl}`;
    const response = await mf.dispatchFetch(url, {
      method: init.method ?? 'GET',
      headers: init.headers,
      body: init.body,
      signal: init.signal,
      redirect: 'manual',
    } as never);
    const body = await response.text();
    return {
      status: response.status,
      headers: response.headers as unknown as Headers,
      body,
      json: () => JSON.parse(body) as Record<string, unknown>,
    };
  };

  return {
    mf,
    output,
    fetch: fetchGate,
    async scheduled(index = 0) {
      const target = await mf.getWorker(`gate${index}`);
      const result = await target.scheduled({ cron: '*/10 * * * *' });
      return result.outcome;
    },
    async kvKeys() {
      const kv = await mf.getKVNamespace('JWKS_CACHE', 'gate0');
      const listed = await kv.list();
      return listed.keys.map((key) => ({ name: key.name, expiration: key.expiration }));
    },
    dispose: () => {
      disposed ??= mf.dispose();
      return disposed;
    },
  };
}

/** A scratch directory for a persisted KV namespace. */
export function scratchDir(label: string): string {
  mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  return mkdtempSync(path.join(ROOT, `dist/.kv-${label}-`));
}
