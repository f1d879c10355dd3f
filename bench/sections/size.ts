/**
 * Bundle size: the Worker as `npm run build:worker` ships it, gzipped, beside a minimal gate
 * Worker for each contender bundled by esbuild (`bench/entries/worker-*.ts`). Every bundle is
 * also rebuilt here with the same esbuild settings, minified, so the comparison does not depend
 * on how wrangler happens to be configured. Gzip level 9, as a rough stand-in for the
 * compression Cloudflare applies when it reports a Worker's size.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { bundleWorker, ROOT } from '../lib/bundle.ts';

/** One bundle's weight in bytes. */
export interface BundleSize {
  raw: number;
  gzip: number;
}

/** The size figures. */
export interface SizeResult {
  /** `dist/worker/index.js` as built by wrangler; absent when it is not built. */
  shipped: BundleSize | undefined;
  /** Minified esbuild bundles, by contender (`ours` is `workers/index.ts`). */
  minified: Record<string, BundleSize>;
  /** Lambda bundles: ours as built (`dist/lambda/index.mjs`), and the bare jose anchor. */
  lambda: Record<string, BundleSize>;
}

const WORKER_ENTRIES: Record<string, string> = {
  hello: 'bench/entries/hello.ts',
  jose: 'bench/entries/worker-jose.ts',
  'aws-jwt-verify': 'bench/entries/worker-aws-jwt-verify.ts',
  'cf-worker-jwt': 'bench/entries/worker-cf-worker-jwt.ts',
  hono: 'bench/entries/worker-hono.ts',
  ours: 'workers/index.ts',
};

function weigh(text: string | Uint8Array): BundleSize {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  return { raw: bytes.byteLength, gzip: gzipSync(bytes, { level: 9 }).byteLength };
}

/** Bundles the bare jose Lambda anchor for Node and returns its text (also used by start-up). */
export async function bundleJoseLambda(minify: boolean): Promise<string> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'bench/entries/lambda-jose.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

/** Weighs every bundle. Missing builds of this project are reported as absent, not as errors. */
export async function runSize(): Promise<SizeResult> {
  const shippedPath = path.join(ROOT, 'dist/worker/index.js');
  const shipped = existsSync(shippedPath) ? weigh(readFileSync(shippedPath)) : undefined;

  const minified: Record<string, BundleSize> = {};
  for (const [name, entry] of Object.entries(WORKER_ENTRIES)) {
    try {
      minified[name] = weigh(await bundleWorker(path.join(ROOT, entry), { minify: true }));
    } catch {
      // Only this project's Worker can be missing (built in parallel); the others are fixed.
      if (name !== 'ours') throw new Error(`could not bundle ${entry}`);
    }
  }

  const lambda: Record<string, BundleSize> = { jose: weigh(await bundleJoseLambda(false)) };
  const oursLambda = path.join(ROOT, 'dist/lambda/index.mjs');
  if (existsSync(oursLambda)) lambda.ours = weigh(readFileSync(oursLambda));
  return { shipped, minified, lambda };
}
