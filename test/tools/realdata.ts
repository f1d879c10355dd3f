/**
 * Paths into ../shared/realdata for the tools' tests, and the tokens by id.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** `../shared/realdata` beside the repository. */
export const realdata = resolve(repoRoot, '../shared/realdata');

/** A realdata file's absolute path. */
export const realPath = (relative: string): string => resolve(realdata, relative);

interface RealToken {
  id: string;
  token: string;
  suggested_fixed_clock_unix: number;
  key: { jwks_file?: string; jwk?: Record<string, unknown> };
}

/** A token from `tokens/<file>` by id. */
export function realToken(file: string, id: string): RealToken {
  const data = JSON.parse(readFileSync(realPath(`tokens/${file}`), 'utf8')) as {
    tokens: RealToken[];
  };
  const token = data.tokens.find((t) => t.id === id);
  if (!token) throw new Error(`no token ${id} in ${file}`);
  return token;
}
