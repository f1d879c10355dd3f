/**
 * The real provider tokens through the Lambda bundle, at each token's fixed clock: the key set
 * file is served byte-exact by a loopback provider, the token arrives in the real REST TOKEN
 * event, and the answer is an Allow policy for the tokens the file expects to pass and exactly
 * `Unauthorized` for the rest.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Provider, startProvider } from '../fixtures/provider.ts';
import { captureLogs, coldStart, outcome, realdata, tokenEvent } from './harness.ts';

// biome-ignore lint/suspicious/noExplicitAny: the token files are JSON read at run time
const read = (file: string): any => JSON.parse(readFileSync(join(realdata, file), 'utf8'));
const bytes = (file: string): string => readFileSync(join(realdata, file), 'utf8');

const providers: Provider[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const provider of providers.splice(0)) await provider.close();
});

/** A provider serving `body` as the key set, and the clock set to `unixSeconds`. */
async function serve(body: string, unixSeconds: number): Promise<string> {
  const provider = await startProvider();
  providers.push(provider);
  provider.route('/jwks.json', {
    body,
    headers: { 'content-type': 'application/json', 'cache-control': 'max-age=600' },
  });
  // Only the date is fixed: timers stay real so the fetch and its deadline run normally.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(unixSeconds * 1000);
  return `${provider.url}/jwks.json`;
}

/** The principal of an Allow policy, or the error message. */
async function answer(env: Record<string, string>, token: string): Promise<string> {
  const handler = await coldStart(env);
  const logs = captureLogs();
  const result = await outcome(handler, tokenEvent(`Bearer ${token}`)).finally(logs.restore);
  expect(logs.text()).not.toContain(token.split('.')[2]);
  if (result.error) return `error: ${result.error.message}`;
  const policy = result.value as {
    principalId: string;
    policyDocument: { Statement: { Effect: string }[] };
  };
  const effects = policy.policyDocument.Statement.map((s) => s.Effect);
  return effects.includes('Allow') ? `allow ${policy.principalId}` : `deny ${effects}`;
}

describe('MongoDB OIDC test tokens through the Lambda bundle', () => {
  const file = read('tokens/mongodb-oidc-test-tokens.json');
  const policy = file.verification_policy;
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const cases: [string, any][] = file.tokens.map((t: { id: string }) => [t.id, t]);

  it.each(cases)('gives %s its expected answer at its clock', async (_, token) => {
    const jwksUrl = await serve(bytes(token.key.jwks_file), token.suggested_fixed_clock_unix);
    const env = { JWT_ISSUER: policy.issuer, JWT_AUDIENCE: policy.audience, JWKS_URL: jwksUrl };

    const expected =
      token.expected_with_policy === 'accept' ? `allow ${token.claims.sub}` : 'error: Unauthorized';
    expect(await answer(env, token.token)).toBe(expected);
  });
});

describe('Clerk SDK fixture tokens through the Lambda bundle', () => {
  const file = read('tokens/clerk-sdk-fixture-tokens.json');
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const byId = (id: string): any => file.tokens.find((t: { id: string }) => t.id === id);
  const session = byId('clerk-mockJwt-session-token');
  const clerkEnv = (jwksUrl: string) => ({
    AUTH_CONFIG: JSON.stringify({
      issuers: [
        {
          issuer: session.claims.iss,
          provider: 'clerk',
          authorizedParties: [session.claims.azp],
          jwksUrl,
        },
      ],
    }),
  });

  it('allows the session token and refuses the tampered one', async () => {
    const jwksUrl = await serve(bytes(session.key.jwks_file), session.suggested_fixed_clock_unix);
    expect(await answer(clerkEnv(jwksUrl), session.token)).toBe(`allow ${session.claims.sub}`);
    const tampered = byId('clerk-mockInvalidSignatureJwt');
    expect(await answer(clerkEnv(jwksUrl), tampered.token)).toBe('error: Unauthorized');
  });

  it('allows the token signed for the kid-less key when that key is the whole set', async () => {
    const kidless = byId('clerk-signedJwt-keyops-verify-jwk-without-kid');
    const jwksUrl = await serve(
      JSON.stringify({ keys: [kidless.key.jwk] }),
      kidless.suggested_fixed_clock_unix,
    );
    expect(await answer(clerkEnv(jwksUrl), kidless.token)).toBe(`allow ${session.claims.sub}`);
  });
});
