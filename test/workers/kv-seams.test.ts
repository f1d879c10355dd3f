/**
 * The KV snapshot seams from outside, through the bundled Worker: a snapshot written for another
 * issuer or key-set address, one whose freshness ends before its fetch, and garbage are ignored
 * (the provider is asked), and a discovered issuer's snapshot serves a fresh deploy on the same
 * namespace without a provider request.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { jwks, makeKey, mint } from '../fixtures/keys.ts';
import { startProvider } from '../fixtures/provider.ts';
import { type RunningGate, scratchDir, startGate } from './harness.ts';
import { startOrigin } from './origin.ts';
import { AUDIENCE, bearer, ISSUER, type Scene, startScene } from './setup.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function scene(options: Parameters<typeof startScene>[0] = {}): Promise<Scene> {
  const started = await startScene(options);
  cleanup.push(() => started.close());
  return started;
}

async function kvFilled(gate: RunningGate): Promise<{ name: string }[]> {
  for (let waited = 0; waited < 10_000; waited += 25) {
    const keys = await gate.kvKeys();
    if (keys.length > 0) return keys;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the key set never reached KV');
}

describe('KV snapshots the Worker must not trust', () => {
  // Each value holds a stranger's key under the provider's kid: trusted, it would fail the
  // provider's own token (or pin the stranger's key); ignored, the provider is asked once.
  const cases: [string, (keys: unknown[], now: number, url: string) => unknown][] = [
    [
      'fresh only until before its fetch', // Dated within the clock skew allowed, fresh until before that: trusted, it looks fresh.
      (keys, now) => ({ keys, fetchedAt: now + 50_000, freshUntil: now + 40_000 }),
    ],
    [
      'written for another key-set address',
      (keys, now) => ({
        keys,
        fetchedAt: now,
        freshUntil: now + 600_000,
        jwksUrl: 'https://other.example/jwks',
      }),
    ],
    ['garbage text', () => 'not json {'],
    ['a JSON array', (keys) => [keys]],
    [
      'times as text',
      (keys, now) => ({ keys, fetchedAt: String(now), freshUntil: String(now + 600_000) }),
    ],
  ];
  for (const [label, value] of cases) {
    it(`asks the provider when KV holds a snapshot ${label}`, async () => {
      const s = await scene({ kv: true });
      const stranger = await makeKey('RS256', 'k1');
      const now = Date.now();
      const stored = value(jwks(stranger).keys, now, String(s.vars.JWKS_URL));
      const kv = await s.gate.mf.getKVNamespace('JWKS_CACHE', 'gate0');
      await kv.put(
        `jwks:v1:${s.vars.JWKS_URL}`,
        typeof stored === 'string' ? stored : JSON.stringify(stored),
      );

      const answer = await s.gate.fetch('/orders', { headers: bearer(await s.token()) });

      expect(answer.status).toBe(200);
      expect(s.provider.count('/jwks.json')).toBe(1);
    });
  }
});

describe('a discovered issuer on KV', () => {
  it('serves a fresh deploy from the snapshot and ignores one written for another issuer', async () => {
    const provider = await startProvider();
    const origin = await startOrigin();
    cleanup.push(
      () => provider.close(),
      () => origin.close(),
    );
    const key = await makeKey('RS256', 'k1');
    const issuer = provider.url;
    provider.route('/.well-known/openid-configuration', {
      body: { issuer, jwks_uri: `${provider.url}/keys` },
    });
    provider.route('/keys', { body: jwks(key), headers: { 'cache-control': 'max-age=600' } });
    const dir = scratchDir('discovered');
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const vars = { JWT_ISSUER: issuer, JWT_AUDIENCE: AUDIENCE, ORIGIN_URL: origin.url };
    const token = await mint(key, { iss: issuer, aud: AUDIENCE, sub: 'u' });

    const first = await startGate({ vars, kv: dir });
    expect((await first.fetch('/x', { headers: bearer(token) })).status).toBe(200);
    const [entry] = await kvFilled(first);
    await first.dispose();
    provider.resetCounts();

    const deployed = await startGate({ vars, kv: dir });
    cleanup.push(() => deployed.dispose());
    expect((await deployed.fetch('/x', { headers: bearer(token) })).status).toBe(200);
    expect(provider.count()).toBe(0);
    await deployed.dispose();

    // The same snapshot relabelled for another issuer: a deploy for this issuer must not use it.
    const kvDir = await startGate({ vars, kv: dir });
    cleanup.push(() => kvDir.dispose());
    const kv = await kvDir.mf.getKVNamespace('JWKS_CACHE', 'gate0');
    const stored = (await kv.get(entry?.name ?? '', 'json')) as Record<string, unknown>;
    expect(stored.issuer).toBe(issuer);
    await kv.put(entry?.name ?? '', JSON.stringify({ ...stored, issuer: ISSUER }));
    expect((await kvDir.fetch('/x', { headers: bearer(token) })).status).toBe(200);
    expect(provider.count('/keys')).toBe(1);
  });
});
