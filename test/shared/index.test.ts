/**
 * The public surface of shared/ and the rules every file in it keeps: web standards, `jose` and
 * `valibot` only, no `node:*`, no `process.env`, no `console`, imports with `.ts` extensions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as core from '../../shared/index.ts';
import { repoRoot } from './fixtures/setup.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('shared/index.ts', () => {
  it('exports the public API the adapters code against', () => {
    for (const name of [
      'createAuthorizer',
      'loadConfig',
      'matchRoute',
      'checkRequirement',
      'parseAuthorization',
      'extractCredential',
      'createKeySetCache',
      'AuthError',
      'ConfigError',
      'outcomeOf',
      'AUTH_ERROR_CODES',
      'CONFIG_DEFAULTS',
      'OPTION_HELP',
    ]) {
      expect(core, name).toHaveProperty(name);
    }
  });
});

describe('shared/ stays portable', () => {
  const files = sourceFiles(path.join(repoRoot, 'shared'));

  it.each(files.map((f) => [path.relative(repoRoot, f), f]))(
    '%s imports only jose (and jose/errors), valibot and relative .ts files',
    (_, file) => {
      const text = readFileSync(file, 'utf8');
      const specifiers = [
        ...text.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'\s*\)/g),
      ].map((m) => m[1] ?? m[2]);
      for (const specifier of specifiers) {
        const ok =
          specifier === 'jose' ||
          specifier === 'jose/errors' ||
          specifier === 'valibot' ||
          (specifier!.startsWith('.') && specifier!.endsWith('.ts'));
        expect(ok, `${specifier} in ${file}`).toBe(true);
      }
      expect(text).not.toMatch(/\bprocess\.env\b/);
      expect(text).not.toMatch(/\bconsole\.\w+\(/);
    },
  );
});
