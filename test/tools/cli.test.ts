import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configEnvironment } from '../../tools/inspect/setup.ts';
import { redactTokens, UsageError } from '../../tools/lib/output.ts';
import { realPath, realToken, repoRoot } from './realdata.ts';

const bin = resolve(repoRoot, 'bin/edge-jwt.mjs');

/** The test runner's environment without configuration variables a developer may have set. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(JWT_|JWKS_|AUTH_CONFIG$)/.test(name)),
);

/** Runs the package's `bin` as a user would, optionally feeding stdin. */
function cli(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    input,
    encoding: 'utf8',
    env: cleanEnv,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const mongo = realToken('mongodb-oidc-test-tokens.json', 'mongodb-user1-rs256');
const mongoArgs = [
  '--issuer',
  'https://test.kernel.mongodb.com/oidc/issuer1',
  '--audience',
  'jwt@kernel.mongodb.com',
  '--jwks',
  realPath('jwks/mongodb-test-custom-keys.json'),
  '--at',
  '2023-11-14T22:13:20Z',
];

describe('the edge-jwt command line', () => {
  it.each(['start', 'mint', 'inspect', 'jwks', 'invoke', 'check-config'])(
    'prints help for %s with a --json option',
    (command) => {
      const { code, stdout } = cli([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: edge-jwt ${command}`);
      expect(stdout).toContain('--json');
    },
  );

  it.each(['inspect', 'invoke'])('offers --env beside --wrangler in %s', (command) => {
    expect(cli([command, '--help']).stdout).toMatch(/--env <name> +with --wrangler: use/);
  });

  it('prints a key-set report as JSON', () => {
    const { code, stdout } = cli([
      'jwks',
      realPath('jwks/okta-common-oauth2-v1-keys.json'),
      '--json',
    ]);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { keys: unknown[] }).keys).toHaveLength(2);
  });

  it('reads the token from stdin with "-" and accepts a pasted "Bearer " prefix', () => {
    const { code, stdout } = cli(['inspect', '-', ...mongoArgs], `Bearer ${mongo.token}\n`);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Result: allowed for subject user1@mongodb.com/);
    expect(stdout).not.toContain(mongo.token.split('.')[2]);
  });

  it.each([
    ['an empty argument', [''], undefined, 'the token is empty (is the variable set?)'],
    ['empty stdin', ['-'], '\n', 'no token on stdin'],
    ['a bare scheme', ['Bearer'], undefined, 'the token is empty (is the variable set?)'],
  ])('refuses %s as a usage mistake', (_, args, input, message) => {
    const { code, stderr } = cli(['inspect', ...args, ...mongoArgs], input);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`edge-jwt: ${message}`);
  });

  it('exits 1 when the token would be refused', () => {
    const { code, stdout } = cli(['inspect', mongo.token, ...mongoArgs, '--at', '2040-01-01']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/token_expired/);
  });

  it('exits 2 with one line and no stack trace for a usage mistake', () => {
    const { code, stderr } = cli(['jwks', 'no-such-file.json']);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'edge-jwt: no-such-file.json is neither an existing file nor an http(s) URL',
    );
  });
});

describe('usage mistakes that commander reports, with the same exit code 2 as ours', () => {
  it.each([
    ['an unknown option', ['jwks', '--bogus', 'x'], "unknown option '--bogus'"],
    ['a missing argument', ['inspect'], "missing required argument 'token'"],
    ['an unknown command', ['nope'], "unknown command 'nope'"],
  ])('exits 2 for %s', (_, args, message) => {
    const { code, stderr } = cli(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('exits 0 for help', () => {
    expect(cli(['help', 'inspect']).code).toBe(0);
    expect(cli(['--help']).code).toBe(0);
  });

  it('exits 2 when mint is asked for a key or algorithm the local provider lacks', () => {
    const keys = join(mkdtempSync(join(tmpdir(), 'cli-keys-')), 'keys.json');
    const { code, stderr } = cli([
      'mint',
      '--iss',
      'https://a.example',
      '--keys',
      keys,
      '--alg',
      'HS256',
    ]);
    expect(code).toBe(2);
    expect(stderr.trim()).toMatch(/^edge-jwt: the local provider has no algorithm HS256; it has: /);
  });
});

describe('a token typed where something else belongs', () => {
  const signature = mongo.token.split('.')[2] as string;

  it.each([
    ['a jwks source', ['jwks', mongo.token]],
    ['an --at', ['inspect', 'x', '--at', mongo.token]],
    ['a --config path', ['inspect', 'x', '--config', mongo.token]],
    ['a --claim', ['mint', '--iss', 'https://a.example', '--claim', mongo.token]],
    ['a --parameter', ['check-config', '--parameter', mongo.token]],
    ['a command name', [mongo.token]],
  ])('is never echoed whole when it lands in %s', (_, args) => {
    const { code, stderr } = cli(args);
    expect(code).toBe(2);
    expect(stderr).not.toContain(signature);
    expect(stderr).toContain(`<token ${mongo.token.slice(0, 8)}…`);
  });

  it('leaves dotted host names and paths alone', () => {
    const text = 'https://clerk.inspired.puma-74.lcl.dev/a.b.c and eyJ.e30';
    expect(redactTokens(text)).toBe(text);
  });
});

describe('usage mistakes the command line reports in one line with exit code 2', () => {
  it('refuses an --at beyond the range of a Date instead of failing on "Invalid time value"', () => {
    const { code, stdout, stderr } = cli(['inspect', mongo.token, '--at', '99999999999999999']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe(
      'edge-jwt: "99999999999999999" is out of range as a time: use an instant between the ' +
        'years -271821 and 275760 (ISO 8601, epoch seconds or epoch milliseconds)',
    );
  });

  it('refuses an out-of-range negative --at the same way', () => {
    const { code, stderr } = cli(['inspect', mongo.token, '--at', '-99999999999999999']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^edge-jwt: "-99999999999999999" is out of range as a time/);
  });

  it.each(['inspect', 'invoke'])(
    'says that the --config file of %s does not exist instead of calling it invalid JSON',
    (command) => {
      // invoke reads the configuration only once its bundle exists; any file stands in here.
      const args = command === 'inspect' ? ['inspect', mongo.token] : ['invoke', '--bundle', bin];
      const { code, stderr } = cli([...args, '--config', '/nonexistent.json']);
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^edge-jwt: --config \/nonexistent\.json does not exist; pass an/);
      expect(stderr).toContain('AUTH_CONFIG as JSON text');
      expect(stderr).not.toMatch(/not valid JSON|Unexpected token/);
    },
  );

  it('says a --config directory is a directory', () => {
    const { code, stderr } = cli(['inspect', mongo.token, '--config', realPath('jwks')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--config .*jwks is a directory: pass a JSON file holding AUTH_CONFIG/);
  });

  it('says a jwks source that is a directory is one, and what to pass instead', () => {
    const { code, stderr } = cli(['jwks', '../shared/realdata/jwks']);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'edge-jwt: ../shared/realdata/jwks is a directory: pass one key-set file in it, or a URL',
    );
    expect(stderr).not.toContain('EISDIR');
  });

  it('says an inspect --jwks directory is a directory', () => {
    const { code, stderr } = cli([
      'inspect',
      mongo.token,
      ...mongoArgs,
      '--jwks',
      realPath('jwks'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^edge-jwt: --jwks .*jwks is a directory: pass one key-set file in it$/m,
    );
  });
});

describe('the configuration sources of inspect and invoke', () => {
  it('reads only the five configuration variables from the environment', async () => {
    const env = await configEnvironment({}, { JWT_ISSUER: 'https://a.example/', PATH: '/bin' });
    expect(env).toEqual({ JWT_ISSUER: 'https://a.example/' });
  });

  it('reads a wrangler.toml [vars] table, AUTH_CONFIG as a table included', async () => {
    const env = await configEnvironment({ wrangler: resolve(repoRoot, 'wrangler.toml') }, {});
    expect(env.JWT_ISSUER).toBeTypeOf('string');
    expect(env.AUTH_CONFIG).toBeTypeOf('object');
  });

  it('refuses --env without --wrangler instead of ignoring it', async () => {
    await expect(configEnvironment({ env: 'production' }, {})).rejects.toThrow(
      '--env production names a wrangler environment: add --wrangler <file>',
    );
  });

  it('refuses --local when no npm start demo is running', async () => {
    const previous = process.env.EDGE_JWT_SESSION;
    process.env.EDGE_JWT_SESSION = resolve(repoRoot, 'no-such-session.json');
    try {
      await expect(configEnvironment({ local: true }, {})).rejects.toThrow(/no `npm start` demo/);
    } finally {
      if (previous === undefined) delete process.env.EDGE_JWT_SESSION;
      else process.env.EDGE_JWT_SESSION = previous;
    }
  });

  it('reads --config as a file path when it does not start like JSON', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'config-')), 'auth.json');
    writeFileSync(file, '{"issuers":[]}');
    const env = await configEnvironment({ config: file }, {});
    expect(env.AUTH_CONFIG).toBe('{"issuers":[]}');
  });

  it('rejects a --config path that does not exist as a usage error', async () => {
    await expect(configEnvironment({ config: '/nonexistent.json' }, {})).rejects.toThrow(
      UsageError,
    );
  });

  it('lets command-line options override the file and the environment', async () => {
    const env = await configEnvironment(
      { wrangler: resolve(repoRoot, 'wrangler.toml'), issuer: 'https://b.example/', config: '{}' },
      {},
    );
    expect(env).toMatchObject({ JWT_ISSUER: 'https://b.example/', AUTH_CONFIG: '{}' });
  });
});
