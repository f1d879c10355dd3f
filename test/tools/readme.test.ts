import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, PROVIDERS } from '../../shared/config/defaults.ts';
import { OPTION_HELP } from '../../shared/config/help.ts';
import { loadConfig } from '../../shared/config/load.ts';
import { AUTH_ERROR_CODES, outcomeOf } from '../../shared/errors.ts';
import { repoRoot } from './realdata.ts';

const readme = readFileSync(resolve(repoRoot, 'README.md'), 'utf8');
const security = readFileSync(resolve(repoRoot, 'SECURITY.md'), 'utf8');
const scripts = Object.keys(
  (JSON.parse(readFileSync(resolve(repoRoot, 'package.json'), 'utf8')) as { scripts: object })
    .scripts,
);

/** The cells of the table row whose first cell is `name` in backticks (tables are padded). */
function row(name: string): string[] | undefined {
  const start = new RegExp(`^\\|\\s*\`${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\`\\s*\\|`);
  const line = readme.split('\n').find((l) => start.test(l));
  return line
    ?.split(/(?<!\\)\|/)
    .map((cell) => cell.trim())
    .filter((cell) => cell !== '');
}

describe('README', () => {
  it('starts with the purpose and the install and test commands', () => {
    const lines = readme.split('\n');
    expect(lines[0]).toBe('# edge-jwt-authorizer');
    expect(readme).toContain('```sh\nnpm install\nnpm test\n```');
    expect(readme.indexOf('npm test')).toBeLessThan(readme.indexOf('## '));
  });

  it('documents every option the configuration module knows', () => {
    const grouping = new Set(['issuers[]', 'routes[]', 'credentials', 'cache']);
    const options = Object.keys(OPTION_HELP).filter((option) => !grouping.has(option));
    for (const option of options) expect(row(option), option).toBeDefined();
    for (const option of Object.keys(CONFIG_DEFAULTS.cache)) {
      expect(row(`cache.${option}`), option).toBeDefined();
    }
  });

  it('gives the defaults the configuration module uses', () => {
    const cache = CONFIG_DEFAULTS.cache as unknown as Record<string, number>;
    for (const [option, value] of Object.entries(cache)) {
      expect(row(`cache.${option}`)?.at(-1), option).toBe(`\`${value}\``);
    }
    expect(row('issuers[].clockToleranceSeconds')?.at(-1)).toBe(
      `\`${CONFIG_DEFAULTS.issuer.clockToleranceSeconds}\``,
    );
    expect(row('credentials.maxTokenBytes')?.at(-1)).toBe(
      `\`${CONFIG_DEFAULTS.credentials.maxTokenBytes}\``,
    );
    expect(row('tokenCacheEntries')?.at(-1)).toBe(`\`${CONFIG_DEFAULTS.tokenCacheEntries}\``);
    expect(row('realm')?.at(-1)).toBe(`\`${CONFIG_DEFAULTS.realm}\``);
    expect(row('identityHeaders')?.at(-1)).toContain(CONFIG_DEFAULTS.identityHeaders.subject);
    expect(row('JWT_ALGORITHMS')?.at(-1)).toContain(CONFIG_DEFAULTS.issuer.algorithms.join(' '));
  });

  it('lists every reason code with the Worker status its outcome maps to', () => {
    const status = {
      bad_request: '400',
      unauthenticated: '401',
      forbidden: '403',
      unavailable: '503',
    };
    for (const code of AUTH_ERROR_CODES) {
      const cells = row(code);
      expect(cells, code).toBeDefined();
      expect(cells?.[2], code).toMatch(new RegExp(`^${status[outcomeOf(code).kind]}`));
    }
  });

  it('shows only answer bodies the Worker can send', () => {
    const answers = readFileSync(resolve(repoRoot, 'workers/answers.ts'), 'utf8');
    const codes = [...readme.matchAll(/"code":"(\w+)"/g)].map((match) => match[1] as string);
    expect(codes.length).toBeGreaterThan(3);
    for (const code of codes) {
      const known = (AUTH_ERROR_CODES as string[]).includes(code) || answers.includes(`'${code}'`);
      expect(known, code).toBe(true);
    }
  });

  it('shows only configuration examples that load', () => {
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    for (const block of blocks) {
      const example = JSON.parse(block) as Record<string, unknown>;
      // A provider example is one entry of `issuers`; the rest are whole AUTH_CONFIG objects.
      const config = 'issuer' in example ? { issuers: [example] } : example;
      expect(() => loadConfig({ AUTH_CONFIG: JSON.stringify(config) }), block).not.toThrow();
    }
  });

  it('has an example for every provider profile', () => {
    for (const provider of PROVIDERS.filter((p) => p !== 'generic')) {
      expect(readme, provider).toContain(`"provider": "${provider}"`);
    }
  });

  it('names only npm scripts that exist', () => {
    const named = [...readme.matchAll(/npm run (?:-s )?([\w:-]+)/g)].map((m) => m[1] as string);
    expect(named.length).toBeGreaterThan(5);
    for (const script of named) expect(scripts, script).toContain(script);
  });

  it('keeps a Performance section for the benchmark figures and a Limits section', () => {
    expect(readme).toMatch(/^## Performance$/m);
    expect(readme).toMatch(/^## Limits$/m);
    expect(readme).toContain('```mermaid');
  });
});

describe('SECURITY.md', () => {
  it('states guarantees, non-guarantees, trust assumptions and how to report', () => {
    for (const heading of [
      '## What it guarantees',
      '## What it does not guarantee',
      '## Trust assumptions',
      '## Reporting a vulnerability',
    ]) {
      expect(security).toContain(heading);
    }
    expect(security).toMatch(/\*\*Confidentiality\.\*\*/);
    expect(security).toMatch(/\*\*Revocation before expiry\.\*\*/);
  });
});
