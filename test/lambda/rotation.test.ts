/**
 * C15 through the Lambda bundle on one warm instance with the date moved by hand: a rotated-in
 * kid 40 s after the first fetch costs exactly one fetch and is allowed; a thousand random kids
 * over the next minute cost at most a few fetches and are all `Unauthorized`.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { jwks, makeKey, mint } from '../fixtures/keys.ts';
import { startProvider } from '../fixtures/provider.ts';
import { captureLogs, coldStart, outcome, tokenEvent } from './harness.ts';
import { expectUnauthorized } from './shapes.ts';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const close of closers.splice(0)) await close();
});

it('fetches once for a rotated kid and at most a few times for 1000 random kids (C15)', async () => {
  const provider = await startProvider();
  const logs = captureLogs();
  closers.push(() => provider.close(), logs.restore);
  const k1 = await makeKey('RS256', 'k1');
  const k2 = await makeKey('RS256', 'k2');
  let published = jwks(k1);
  provider.route('/jwks.json', () => ({
    body: published,
    headers: { 'cache-control': 'max-age=600' },
  }));
  const issuer = `${provider.url}/issuer`;
  const handler = await coldStart({
    JWT_ISSUER: issuer,
    JWT_AUDIENCE: 'api',
    JWKS_URL: `${provider.url}/jwks.json`,
  });
  vi.useFakeTimers({ toFake: ['Date'] });
  const t0 = Date.UTC(2026, 0, 1);
  const at = async (seconds: number, key: typeof k1, kid = key.kid) => {
    vi.setSystemTime(t0 + seconds * 1000);
    const token = await mint(
      { ...key, kid },
      { iss: issuer, aud: 'api', sub: 'u' },
      { nowMs: Date.now() },
    );
    return outcome(handler, tokenEvent(`Bearer ${token}`));
  };

  expect((await at(0, k1)).error).toBeUndefined();
  expect(provider.count('/jwks.json')).toBe(1);

  published = jwks(k1, k2);
  expect((await at(40, k2)).error).toBeUndefined();
  expect(provider.count('/jwks.json')).toBe(2);

  for (let i = 0; i < 1000; i++) {
    expectUnauthorized(await at(60 + (i * 60) / 1000, k2, `random-${i}`));
  }
  expect(provider.count('/jwks.json')).toBeLessThanOrEqual(5);
  expect((await at(121, k1)).error).toBeUndefined();
});
