import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runInvoke } from '../../tools/commands/invoke.ts';
import { EVENT_KINDS, UNRECOGNISED_EVENT } from '../../tools/invoke/events.ts';
import { UsageError } from '../../tools/lib/output.ts';
import { realPath, realToken, repoRoot } from './realdata.ts';

const MONGO = 'mongodb-oidc-test-tokens.json';
const valid = realToken(MONGO, 'mongodb-user1-rs256').token;
const expired = realToken(MONGO, 'mongodb-user1-expired').token;
const config = {
  issuer: 'https://test.kernel.mongodb.com/oidc/issuer1',
  audience: 'jwt@kernel.mongodb.com',
  jwks: realPath('jwks/mongodb-test-custom-keys.json'),
};
let bundle: string;

interface Policy {
  principalId: string;
  policyDocument: { Statement: { Effect: string; Resource: string[] | string }[] };
  context?: Record<string, unknown>;
}

beforeAll(() => {
  // Build the bundle the way `npm run build:lambda` does, into a directory of our own.
  const outdir = mkdtempSync(join(tmpdir(), 'invoke-bundle-'));
  execFileSync(process.execPath, [resolve(repoRoot, 'tools/build-lambda.mjs'), '--outdir', outdir]);
  bundle = join(outdir, 'index.mjs');
});

describe('invoke on the real API Gateway events', () => {
  it('answers the REST TOKEN event with a policy for the event own API', async () => {
    const event = realPath('aws-events/rest-token-authorizer-event.aws-lambda-go.json');
    const { exitCode, data } = await runInvoke(event, { ...config, token: valid, bundle });
    expect(exitCode).toBe(0);
    expect(data.outcome).toBe('policy');
    const policy = data.response as Policy;
    expect(policy.principalId).toBe('user1@mongodb.com');
    const resources = policy.policyDocument.Statement.flatMap((s) => [s.Resource].flat());
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) {
      expect(resource.startsWith('arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/')).toBe(
        true,
      );
    }
  });

  it('fails the REST REQUEST event with exactly Unauthorized for an expired token', async () => {
    const event = realPath('aws-events/rest-request-authorizer-event.aws-lambda-go.json');
    const { exitCode, data } = await runInvoke(event, { ...config, token: expired, bundle });
    expect(exitCode).toBe(1);
    expect(data).toMatchObject({ outcome: 'unauthorized', error: 'Unauthorized' });
  });

  it('answers the payload 2.0 event with a boolean simple response when configured', async () => {
    const event = realPath('aws-events/http-api-authorizer-event-v2.0.powertools.json');
    const { data } = await runInvoke(event, {
      ...config,
      token: valid,
      bundle,
      response: 'simple',
    });
    expect(data.outcome).toBe('simple');
    expect((data.response as { isAuthorized: unknown }).isAuthorized).toBe(true);
  });

  it('exits 1 on a simple response of false, as on Unauthorized', async () => {
    const event = realPath('aws-events/http-api-authorizer-event-v2.0.powertools.json');
    const run = { ...config, bundle, response: 'simple' };
    const refused = await runInvoke(event, { ...run, token: expired });
    expect(refused.data.response).toEqual({ isAuthorized: false });
    expect(refused.exitCode).toBe(1);
    expect((await runInvoke(event, { ...run, token: valid })).exitCode).toBe(0);
  });

  it('answers the payload 1.0 event with a policy', async () => {
    const event = realPath('aws-events/http-api-authorizer-event-v1.0.aws-docs.json');
    const { data } = await runInvoke(event, { ...config, token: valid, bundle });
    expect(data.outcome).toBe('policy');
  });
});

describe('invoke with the clock set', () => {
  const clerk = realToken('clerk-sdk-fixture-tokens.json', 'clerk-mockJwt-session-token');
  const clerkConfig = JSON.stringify({
    issuers: [
      {
        issuer: 'https://clerk.inspired.puma-74.lcl.dev',
        provider: 'clerk',
        authorizedParties: ['https://accounts.inspired.puma-74.lcl.dev'],
      },
    ],
  });
  const options = {
    config: clerkConfig,
    jwks: realPath('jwks/clerk-backend-fixture-jwks.json'),
    token: clerk.token,
  };

  it('allows the Clerk session token at its fixed clock', async () => {
    const at = String(clerk.suggested_fixed_clock_unix);
    const { data } = await runInvoke(undefined, { ...options, bundle, at });
    expect(data.outcome).toBe('policy');
    expect((data.response as Policy).principalId).toBe('user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr');
  });

  it('fails the same token with Unauthorized an hour later', async () => {
    const at = String(clerk.suggested_fixed_clock_unix + 3600);
    const { data } = await runInvoke(undefined, { ...options, bundle, at });
    expect(data.outcome).toBe('unauthorized');
    expect(data.logs.join('\n')).toContain('"code":"token_expired"');
  });
});

describe('invoke on generated events', () => {
  it.each(EVENT_KINDS)('allows a valid token in a generated %s event', async (type) => {
    const { data } = await runInvoke(undefined, {
      ...config,
      token: valid,
      bundle,
      type,
      method: 'POST',
      path: '/orders/7',
    });
    expect(data.outcome).toBe('policy');
    expect((data.response as Policy).principalId).toBe('user1@mongodb.com');
  });

  it('fails with Unauthorized when the event carries no token', async () => {
    const { data } = await runInvoke(undefined, { ...config, bundle, type: 'token' });
    expect(data.outcome).toBe('unauthorized');
  });

  it('fails closed with another error when the configuration is missing, and logs why', async () => {
    const { data } = await runInvoke(undefined, { bundle, token: valid, config: '{}' });
    expect(data.outcome).toBe('error');
    expect(data.error).not.toBe('Unauthorized');
    expect(data.logs.join('\n')).toMatch(/config_error/);
  });

  it('never shows the token signature in its output or the function log lines', async () => {
    const { text, data } = await runInvoke(undefined, { ...config, token: expired, bundle });
    const signature = expired.split('.')[2] as string;
    expect(text).not.toContain(signature);
    expect(data.logs.join('\n')).not.toContain(signature);
  });
});

describe('invoke with a wrangler.toml environment', () => {
  it('reads [env.NAME.vars] with --env, as inspect does', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'invoke-wrangler-')), 'wrangler.toml');
    writeFileSync(
      file,
      [
        '[vars]',
        'JWT_ISSUER = "https://other.example/"',
        'JWT_AUDIENCE = "other"',
        '[env.staging.vars]',
        `JWT_ISSUER = "${config.issuer}"`,
        `JWT_AUDIENCE = "${config.audience}"`,
      ].join('\n'),
    );
    const run = { token: valid, bundle, jwks: config.jwks, wrangler: file };
    const staging = await runInvoke(undefined, { ...run, env: 'staging' });
    expect((staging.data.response as Policy).principalId).toBe('user1@mongodb.com');
    const top = await runInvoke(undefined, run);
    expect(top.data.outcome).toBe('unauthorized');
  });
});

describe('invoke usage mistakes', () => {
  it('says that an explicit --bundle does not exist, without suggesting the build', async () => {
    const missing = join(tmpdir(), 'no-such-bundle', 'index.mjs');
    const run = runInvoke(undefined, { ...config, token: valid, bundle: missing });
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(runInvoke(undefined, { ...config, bundle: missing })).rejects.toThrow(
      `--bundle ${missing} does not exist`,
    );
  });

  it('refuses a --path without a leading "/" as a usage error, as inspect does', async () => {
    const run = runInvoke(undefined, { ...config, token: valid, bundle, path: 'no-slash' });
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(
      runInvoke(undefined, { ...config, token: valid, bundle, path: 'no-slash' }),
    ).rejects.toThrow('--path must start with "/"');
  });

  it('refuses an --at beyond the range of a Date as a usage error', async () => {
    const run = runInvoke(undefined, { ...config, token: valid, bundle, at: '99999999999999999' });
    await expect(run).rejects.toThrow(/is out of range as a time/);
  });

  it('labels an event of no known shape as unrecognised, not as REST REQUEST', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'invoke-event-')), 'empty.json');
    writeFileSync(file, '{}');
    const { data, text } = await runInvoke(file, { ...config, token: valid, bundle });
    expect(data.event).toBe(UNRECOGNISED_EVENT);
    expect(text).toMatch(/^Event: unrecognised /);
    expect(text).not.toContain('REST REQUEST');
  });

  it('lets the bundle name AUTH_CONFIG when it is not JSON and --jwks serves a key set', async () => {
    const { data } = await runInvoke(undefined, {
      ...config,
      token: valid,
      bundle,
      config: '{bad',
    });
    expect(data.outcome).toBe('error');
    const logs = data.logs.join('\n');
    expect(logs).toMatch(/"option":"AUTH_CONFIG"/);
    expect(logs).toMatch(/not valid JSON/);
  });

  it('lets the bundle name an issuers entry that is not an object when --jwks is given', async () => {
    const { data } = await runInvoke(undefined, {
      ...config,
      token: valid,
      bundle,
      config: '{"issuers":["https://test.kernel.mongodb.com/oidc/issuer1"]}',
    });
    expect(data.outcome).toBe('error');
    expect(data.logs.join('\n')).toMatch(/"option":"AUTH_CONFIG\.issuers\[0\]/);
  });

  it('says an event file that is not JSON is not JSON', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'invoke-event-')), 'broken.json');
    writeFileSync(file, '{"type": ');
    await expect(runInvoke(file, { ...config, bundle })).rejects.toThrow(
      `${file} is not JSON: pass an API Gateway authorizer event file`,
    );
  });
});
