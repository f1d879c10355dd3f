/**
 * Where the tools find the repository and the real provider data beside it.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the directory holding package.json). */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `../shared/realdata` relative to the repository root, as the tests and CI lay it out. */
export const realdataDir: string = resolve(repoRoot, '../shared/realdata');

/** The Lambda bundle that `npm run build:lambda` writes and SAM deploys. */
export const lambdaBundle: string = resolve(repoRoot, 'dist/lambda/index.mjs');

/** Resolves `path` against the current directory and says whether it names an existing file. */
export function existingFile(path: string): string | undefined {
  const absolute = resolve(process.cwd(), path);
  return existsSync(absolute) ? absolute : undefined;
}
