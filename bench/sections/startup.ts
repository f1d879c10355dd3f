/**
 * Start-up figures, each taken in a fresh runtime because a warm one would hide them:
 *
 * - Worker: a new workerd instance (miniflare) per measurement, timed from construction to the
 *   end of the first response, for the gate (a valid token, the key set found in a KV tier that
 *   a `scheduled` run filled) and for a hello-world Worker, alternating, in the same rounds.
 *   The provider's request count over those fresh instances is the "KV-warm isolate" figure.
 *   A minimal jose gate (`entries/worker-jose.ts`, which ignores KV and fetches the set) is
 *   started in the same rounds for reference: what any verifier's first response costs. All
 *   three get the same bindings (vars and the KV namespace), so the runtime's own start-up work
 *   is the same for each.
 * - Lambda: a new Node process per measurement, timing `await import()` of the bundle inside
 *   it, for `dist/lambda/index.mjs` and for a bare `jose` verification bundle.
 *
 * One fresh runtime is one measurement, so these are timed by hand around a single event, not
 * by a benchmarking loop (which would reuse the runtime).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleWorker, ROOT } from '../lib/bundle.ts';
import { type GateWorld, gateRequest, shippedWorker } from '../lib/loopback.ts';
import { rotate } from '../lib/stats.ts';
import { startWorker } from '../lib/workerd.ts';
import { bundleJoseLambda } from './size.ts';

/** The Workers started: hello world, this project's gate, and a minimal jose gate for reference. */
type StartedWorker = 'hello' | 'gate' | 'jose';

/** Per-round milliseconds for the Worker figures. */
export interface WorkerStartup {
  /** Construction to first response, by Worker. */
  firstResponseMs: Record<StartedWorker, number[]>;
  /** Just the first request, after the instance reported ready. */
  firstRequestMs: Record<StartedWorker, number[]>;
  /** Provider requests made by the fresh, KV-warm gate instances (all rounds together). */
  providerRequestsKvWarm: number;
  /** Provider requests made while filling KV through `scheduled` (expected: 1). */
  providerRequestsSeeding: number;
}

/** Per-round milliseconds spent in `await import()` of each Lambda bundle. */
export type LambdaStartup = Record<'jose' | 'ours', number[]>;

/** Runs one fresh instance of `script`, answers its first request, returns the timings. */
async function firstResponse(
  script: string,
  request: (base: URL) => Request,
  options: { bindings?: Record<string, string>; kvPersist?: string },
): Promise<{ totalMs: number; requestMs: number }> {
  const started = performance.now();
  const { mf, url } = await startWorker({
    script,
    bindings: options.bindings ?? {},
    ...(options.kvPersist ? { kvNamespaces: ['JWKS_CACHE'], kvPersist: options.kvPersist } : {}),
  });
  try {
    const ready = performance.now();
    const response = await fetch(request(url));
    const body = await response.text();
    const done = performance.now();
    if (response.status !== 200) throw new Error(`first response was ${response.status}: ${body}`);
    return { totalMs: done - started, requestMs: done - ready };
  } finally {
    await mf.dispose();
  }
}

/** Fills a persisted KV tier by running the gate's `scheduled` handler once. */
async function seedKv(script: string, world: GateWorld, kvPersist: string): Promise<void> {
  const { mf } = await startWorker({
    script,
    bindings: world.bindings,
    kvNamespaces: ['JWKS_CACHE'],
    kvPersist,
  });
  try {
    const worker = await mf.getWorker();
    await worker.scheduled({ cron: '*/10 * * * *' });
    const kv = await mf.getKVNamespace('JWKS_CACHE');
    // The write may finish in the background (waitUntil): wait for it, boundedly.
    for (let i = 0; i < 50 && (await kv.list()).keys.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if ((await kv.list()).keys.length === 0) throw new Error('scheduled run left KV empty');
  } finally {
    await mf.dispose();
  }
}

/** The Worker start-up figures; `undefined` when the Worker is not built. */
export async function runWorkerStartup(
  world: GateWorld,
  rounds: number,
  log: (line: string) => void,
): Promise<WorkerStartup | undefined> {
  const gate = shippedWorker();
  if (!gate) return undefined;
  const hello = await bundleWorker(path.join(ROOT, 'bench/entries/hello.ts'));
  const jose = await bundleWorker(path.join(ROOT, 'bench/entries/worker-jose.ts'));
  const kvPersist = mkdtempSync(path.join(tmpdir(), 'bench-kv-'));
  const token = world.suite.tokens[0] as string;
  try {
    const before = world.provider.count();
    await seedKv(gate, world, kvPersist);
    const seeded = world.provider.count();

    const result: WorkerStartup = {
      firstResponseMs: { hello: [], gate: [], jose: [] },
      firstRequestMs: { hello: [], gate: [], jose: [] },
      providerRequestsKvWarm: 0,
      providerRequestsSeeding: seeded - before,
    };
    for (let round = 0; round < rounds; round++) {
      for (const which of rotate(['hello', 'gate', 'jose'] as const, round)) {
        const mark = world.provider.count();
        // Every Worker gets the same bindings, KV namespace included: miniflare starts extra
        // services for a KV binding, and that start-up belongs to the runtime, not the Worker.
        const options = { bindings: world.bindings, kvPersist };
        const timing =
          which === 'hello'
            ? await firstResponse(hello, (base) => new Request(base), options)
            : await firstResponse(
                which === 'gate' ? gate : jose,
                (base) => gateRequest(base, token),
                options,
              );
        if (which === 'gate') result.providerRequestsKvWarm += world.provider.count() - mark;
        result.firstResponseMs[which].push(timing.totalMs);
        result.firstRequestMs[which].push(timing.requestMs);
      }
    }
    log(`  worker start-up: ${rounds} rounds done`);
    return result;
  } finally {
    rmSync(kvPersist, { recursive: true, force: true });
  }
}

/** Imports `file` in a fresh Node process and returns the milliseconds the import took. */
function timedImport(file: string, env: Record<string, string>): number {
  const code = [
    `const started = performance.now();`,
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    `process.stdout.write(String(performance.now() - started));`,
  ].join('\n');
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  const ms = Number(child.stdout);
  if (child.status !== 0 || !Number.isFinite(ms)) {
    throw new Error(`importing ${path.basename(file)} failed: ${child.stderr.slice(0, 300)}`);
  }
  return ms;
}

/** The Lambda import figures; `undefined` when the Lambda is not built. */
export async function runLambdaStartup(
  env: Record<string, string>,
  rounds: number,
): Promise<LambdaStartup | undefined> {
  const ours = path.join(ROOT, 'dist/lambda/index.mjs');
  if (!existsSync(ours)) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-lambda-'));
  try {
    const jose = path.join(dir, 'lambda-jose.mjs');
    writeFileSync(jose, await bundleJoseLambda(false));
    // One unmeasured import each, so the first measurement does not pay for a cold disk cache.
    timedImport(jose, env);
    timedImport(ours, env);
    const result: LambdaStartup = { jose: [], ours: [] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['jose', 'ours'] as const) : (['ours', 'jose'] as const);
      for (const which of order)
        result[which].push(timedImport(which === 'jose' ? jose : ours, env));
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
