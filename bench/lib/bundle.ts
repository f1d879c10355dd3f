/**
 * esbuild helpers for the bench: bundles a Worker script the way the Workers runtime resolves
 * packages (the `workerd`/`worker`/`browser` export conditions), and stands in for this
 * project's core while it is not built yet, so the contenders can be measured on their own.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** The repository root (bench/lib/ is two levels down). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Whether the core's entry points exist yet. */
export function coreAvailable(): boolean {
  return ['shared/authorizer.ts', 'shared/config/load.ts', 'shared/jwks/cache.ts'].every((file) =>
    existsSync(path.join(ROOT, file)),
  );
}

/** Replaces `bench/lib/ours.ts` by an empty module when the core is missing. */
const oursStub: Plugin = {
  name: 'ours-stub',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /\/ours\.ts$/ }, (args) =>
      coreAvailable() ? undefined : { path: args.path, namespace: 'ours-stub' },
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'ours-stub' }, () => ({
      contents: 'export const makeOurs = undefined;',
      loader: 'js',
    }));
  },
};

/** Options for {@link bundleWorker}. */
export interface BundleOptions {
  minify?: boolean;
}

/** Bundles `entry` (absolute path) into one ES module for workerd and returns its text. */
export async function bundleWorker(entry: string, options: BundleOptions = {}): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    minify: options.minify ?? false,
    // What workerd provides itself (`nodejs_als` gives `node:async_hooks`).
    external: ['node:*', 'cloudflare:*'],
    logLevel: 'silent',
    plugins: [oursStub],
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced nothing for ${entry}`);
  return file.text;
}
