import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInspect } from '../../tools/commands/inspect.ts';
import { realPath, realToken } from './realdata.ts';

const MONGO = 'mongodb-oidc-test-tokens.json';
const CLERK = 'clerk-sdk-fixture-tokens.json';
const mongoOptions = {
  issuer: 'https://test.kernel.mongodb.com/oidc/issuer1',
  audience: 'jwt@kernel.mongodb.com',
  jwks: realPath('jwks/mongodb-test-custom-keys.json'),
  at: '1700000000',
};
const clerkConfig = JSON.stringify({
  issuers: [
    {
      issuer: 'https://clerk.inspired.puma-74.lcl.dev',
      provider: 'clerk',
      allowAnyAudience: true,
      authorizedParties: ['https://accounts.inspired.puma-74.lcl.dev'],
    },
  ],
});

describe('inspect on the MongoDB tokens at their fixed clock', () => {
  it.each([
    'mongodb-user1-rs256',
    'mongodb-user1-rs384',
    'mongodb-user1-rs512',
    'mongodb-user1-custom-key-2',
  ])('allows %s with every step passing', async (id) => {
    const { exitCode, data } = await runInspect(realToken(MONGO, id).token, mongoOptions);
    expect(exitCode).toBe(0);
    expect(data.outcome).toBe('allow');
    expect(data.subject).toBe('user1@mongodb.com');
    expect(data.steps.every((step) => step.status === 'ok')).toBe(true);
  });

  it.each([
    ['mongodb-user1-expired', 'token_expired', 'exp'],
    ['mongodb-user1-not-yet-valid', 'token_not_yet_valid', 'nbf'],
    ['mongodb-user1-wrong-audience', 'audience_invalid', 'aud'],
    ['mongodb-user1-wrong-issuer', 'issuer_unknown', 'issuer'],
  ])('refuses %s with %s at the %s step', async (id, code, step) => {
    const { exitCode, data } = await runInspect(realToken(MONGO, id).token, mongoOptions);
    expect(exitCode).toBe(1);
    expect(data.outcome).toBe('deny');
    expect(data.code).toBe(code);
    expect(data.answer).toBe('401 invalid_token');
    const failed = data.steps.filter((s) => s.status === 'fail');
    expect(failed.map((s) => s.name)).toEqual([step]);
    expect(data.fix).toBeTruthy();
  });

  it('allows the rotated key-3 token with the set published after rotation', async () => {
    const token = realToken(MONGO, 'mongodb-user3-custom-key-3').token;
    const jwks = realPath('jwks/mongodb-test-custom-keys_1_3.json');
    const { exitCode } = await runInspect(token, { ...mongoOptions, jwks });
    expect(exitCode).toBe(0);
  });

  it('refuses the key-3 token with key_unknown when the set holds only the short key-3', async () => {
    const token = realToken(MONGO, 'mongodb-user3-custom-key-3').token;
    const { data } = await runInspect(token, mongoOptions);
    expect(data.code).toBe('key_unknown');
    expect(data.steps.find((s) => s.status === 'fail')?.stage).toBe('key');
    const keySet = data.steps.find((s) => s.stage === 'key set');
    expect(keySet?.detail).toMatch(/skipped custom-key-3: RSA modulus of 2040 bits/);
    // The kid is published, so waiting for a rotation is not the fix: the skip reason is.
    expect(data.fix).toMatch(/has kid "custom-key-3", but the gate skips that key \(RSA modulus/);
    expect(data.fix).not.toMatch(/rotation/);
  });

  it.each([
    ['HS256', { alg: 'HS256', kid: 'custom-key-1' }],
    ['none', { alg: 'none' }],
  ])(
    'says a %s token can never be accepted, not to add it to the allow-list',
    async (_, header) => {
      const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const claims = { iss: mongoOptions.issuer, aud: mongoOptions.audience, exp: 2147483647 };
      const { data } = await runInspect(`${b64(header)}.${b64(claims)}.c2ln`, mongoOptions);
      expect(data.code).toBe('token_unsupported_algorithm');
      expect(data.fix).toMatch(/never accepted.*sign with an asymmetric algorithm/);
      expect(data.fix).not.toMatch(/add it to/);
    },
  );

  it('says when the expired token was still valid if evaluated at an earlier instant', async () => {
    const token = realToken(MONGO, 'mongodb-user1-expired').token;
    const { exitCode } = await runInspect(token, { ...mongoOptions, at: '2022-12-01T00:00:00Z' });
    expect(exitCode).toBe(0);
  });

  it('names the fix for a wrong audience with the token audience and the accepted one', async () => {
    const token = realToken(MONGO, 'mongodb-user1-wrong-audience').token;
    const { data } = await runInspect(token, mongoOptions);
    expect(data.fix).toMatch(/jwt@kernel\.10gen\.com/);
    expect(data.fix).toMatch(/JWT_AUDIENCE/);
  });
});

describe('inspect on the Clerk tokens', () => {
  it('allows the Clerk session token at its clock with the clerk profile', async () => {
    const fixture = realToken(CLERK, 'clerk-mockJwt-session-token');
    const { exitCode, data } = await runInspect(fixture.token, {
      config: clerkConfig,
      jwks: realPath('jwks/clerk-backend-fixture-jwks.json'),
      at: String(fixture.suggested_fixed_clock_unix),
    });
    expect(exitCode).toBe(0);
    expect(data.subject).toBe('user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr');
  });

  it('allows the locally signed Clerk token with the kid-less WebCrypto key', async () => {
    const fixture = realToken(CLERK, 'clerk-signedJwt-keyops-verify-jwk-without-kid');
    const jwks = join(mkdtempSync(join(tmpdir(), 'inspect-')), 'kidless.json');
    writeFileSync(jwks, JSON.stringify({ keys: [fixture.key.jwk] }));
    const { exitCode, data } = await runInspect(fixture.token, {
      config: clerkConfig,
      jwks,
      at: String(fixture.suggested_fixed_clock_unix),
    });
    expect(exitCode).toBe(0);
    expect(data.steps.find((s) => s.stage === 'key')?.detail).toMatch(/\(no kid\) \(RSA RS256\)/);
  });

  it('refuses the tampered Clerk token at the signature step', async () => {
    const fixture = realToken(CLERK, 'clerk-mockInvalidSignatureJwt');
    const { data } = await runInspect(fixture.token, {
      config: clerkConfig,
      jwks: realPath('jwks/clerk-backend-fixture-jwks.json'),
      at: String(fixture.suggested_fixed_clock_unix),
    });
    expect(data.code).toBe('token_signature_invalid');
    expect(data.steps.find((s) => s.status === 'fail')?.stage).toBe('signature');
  });

  it('refuses the Clerk token a minute after it expired, now with token_expired', async () => {
    const fixture = realToken(CLERK, 'clerk-mockJwt-session-token');
    const { data } = await runInspect(fixture.token, {
      config: clerkConfig,
      jwks: realPath('jwks/clerk-backend-fixture-jwks.json'),
      at: String(fixture.suggested_fixed_clock_unix + 3600),
    });
    expect(data.code).toBe('token_expired');
  });

  it('points a token older than maxTokenAgeSeconds at the token age, not at the clocks', async () => {
    const token = realToken(CLERK, 'clerk-mockJwt-session-token').token;
    const config = JSON.parse(clerkConfig) as { issuers: Record<string, unknown>[] };
    config.issuers[0] = { ...config.issuers[0], maxTokenAgeSeconds: 5 };
    const { data } = await runInspect(token, {
      config: JSON.stringify(config),
      jwks: realPath('jwks/clerk-backend-fixture-jwks.json'),
      at: String(1666648250 + 45),
    });
    expect(data.code).toBe('token_too_old');
    expect(data.fix).toMatch(/longer ago than maxTokenAgeSeconds \(5\); get a fresh token/);
  });

  it('refuses the Clerk token when its azp is not an authorized party', async () => {
    const fixture = realToken(CLERK, 'clerk-mockJwt-session-token');
    const config = JSON.parse(clerkConfig);
    config.issuers[0].authorizedParties = ['https://app.example.com'];
    const { data } = await runInspect(fixture.token, {
      config: JSON.stringify(config),
      jwks: realPath('jwks/clerk-backend-fixture-jwks.json'),
      at: String(fixture.suggested_fixed_clock_unix),
    });
    expect(data.code).toBe('profile_check_failed');
    expect(data.fix).toMatch(/authorizedParties/);
  });
});

describe('inspect with routes and configuration', () => {
  const token = realToken(MONGO, 'mongodb-user1-rs256').token;

  it('refuses a route that requires a scope the token lacks, with 403 at the route step', async () => {
    const config = JSON.stringify({ routes: [{ path: '/admin/**', scopes: ['admin'] }] });
    const { data } = await runInspect(token, { ...mongoOptions, config, path: '/admin/users' });
    expect(data.code).toBe('insufficient_scope');
    expect(data.answer).toBe('403 insufficient_scope');
    expect(data.steps.at(-1)).toMatchObject({ stage: 'route', status: 'fail' });
  });

  it('passes a public route and still says why the token alone would be refused', async () => {
    const expired = realToken(MONGO, 'mongodb-user1-expired').token;
    const config = JSON.stringify({ routes: [{ path: '/health', public: true }] });
    const { exitCode, data } = await runInspect(expired, {
      ...mongoOptions,
      config,
      path: '/health',
    });
    expect(exitCode).toBe(0);
    expect(data.outcome).toBe('public');
    expect(data.reason).toMatch(/token_expired/);
  });

  it('reports a configuration error with the option and its fix instead of a verdict', async () => {
    const { exitCode, data, text } = await runInspect(token, { ...mongoOptions, audience: ' ' });
    expect(exitCode).toBe(1);
    expect(data.outcome).toBe('config_error');
    expect(data.reason).toMatch(/^JWT_AUDIENCE: is empty or only whitespace$/);
    expect(data.fix).toMatch(/^set JWT_AUDIENCE to /);
    // The fix is printed once, on its own line.
    expect(text.split(data.fix as string)).toHaveLength(2);
  });

  it('never prints the token or its signature, in text or JSON', async () => {
    const { text, data } = await runInspect(token, mongoOptions);
    const signature = token.split('.')[2] as string;
    expect(text).not.toContain(signature);
    expect(JSON.stringify(data)).not.toContain(signature);
    expect(text).toContain('(not shown)');
  });

  it('refuses with key_set_invalid at the key-set step when the file is a discovery document', async () => {
    const jwks = realPath('discovery/google.json');
    const { data } = await runInspect(token, { ...mongoOptions, jwks });
    expect(data).toMatchObject({ code: 'key_set_invalid', answer: '503' });
    const failed = data.steps.find((s) => s.status === 'fail');
    expect(failed?.stage).toBe('key set');
    expect(failed?.detail).toContain(jwks);
    expect(data.fix).toMatch(/OpenID configuration document.*npm run jwks/);
  });

  it('refuses garbage as token_malformed without throwing', async () => {
    const { data } = await runInspect('abc', mongoOptions);
    expect(data.code).toBe('token_malformed');
    expect(data.header).toBeNull();
  });

  it('points a claim of the wrong range at the issuer, not at copying the token', async () => {
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { iss: mongoOptions.issuer, aud: mongoOptions.audience, exp: 1e19 };
    const token = `${b64({ alg: 'RS256', kid: 'k' })}.${b64(claims)}.c2ln`;
    const { data } = await runInspect(token, mongoOptions);
    expect(data.code).toBe('token_malformed');
    expect(data.fix).toMatch(/exp is beyond the year 9999.*fix how the issuer mints it/);
    expect((await runInspect('abc', mongoOptions)).data.fix).toMatch(/copy the whole compact JWS/);
  });
});
