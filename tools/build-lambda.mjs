#!/usr/bin/env node
/**
 * Bundles the Lambda authorizer: `lambda/index.ts` and everything it imports (the core, `jose`,
 * `valibot`) into one minified ES module, `dist/lambda/index.mjs`, for Node 22 on Lambda.
 * `template.yaml` deploys exactly this directory (`CodeUri: dist/lambda`, handler
 * `index.handler`), and the Lambda tests import exactly this file, so what is tested is what is
 * deployed. `npm run build:lambda` runs it; `npm run build` and `npm test` run it too.
 *
 * Usage: node tools/build-lambda.mjs [--outdir DIR]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const flag = process.argv.indexOf('--outdir');
const outdir =
  flag > 0 && process.argv[flag + 1] ? resolve(process.argv[flag + 1]) : join(root, 'dist/lambda');

const result = await build({
  absWorkingDir: root,
  entryPoints: ['lambda/index.ts'],
  outfile: join(outdir, 'index.mjs'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  // jose and valibot are bundled; only Node's own modules stay imports (the handler needs none,
  // but a dependency's optional `node:` import must not be inlined).
  packages: 'bundle',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});

// `sam build` runs npm in CodeUri, which needs a package.json; it also marks the folder ESM.
await mkdir(outdir, { recursive: true });
await writeFile(
  join(outdir, 'package.json'),
  `${JSON.stringify({ name: 'edge-jwt-authorizer-lambda', private: true, type: 'module' }, null, 2)}\n`,
);

const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`${relative(root, join(outdir, 'index.mjs'))}: ${(bytes / 1024).toFixed(1)} KiB`);
