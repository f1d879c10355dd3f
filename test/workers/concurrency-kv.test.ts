/**
 * C16 in the Worker and the KV tier: concurrent cold requests each succeed on their own (no
 * request awaits another's promise), a cancelled request leaves no one hanging, and a fresh
 * isolate or a second Worker with a warm KV namespace verifies without a provider request. The
 * cron trigger fills KV the same way.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { jwks, makeKey } from '../fixtures/keys.ts';
import { type RunningGate, scratchDir, startGate } from './harness.ts';
import { authConfig, bearer, type Scene, startScene } from './setup.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function scene(options: Parameters<typeof startScene>[0] = {}): Promise<Scene> {
  const started = await startScene(options);
  cleanup.push(() => started.close());
  return started;
}

async function gateOn(vars: Record<string, unknown>, kv: string): Promise<RunningGate> {
  const gate = await startGate({ vars, kv });
  cleanup.push(() => gate.dispose());
  return gate;
}

/** Waits (bounded) until the Worker's background KV write has landed. */
async function kvFilled(gate: RunningGate): Promise<{ name: string; expiration?: number }[]> {
  for (let waited = 0; waited < 10_000; waited += 25) {
    const keys = await gate.kvKeys();
    if (keys.length > 0) return keys;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the key set never reached KV');
}

/** Signs that a request waited on another request's I/O (workerd reports both). */
const CROSS_REQUEST = /different request|never generate a response|hung/i;

describe('C16 concurrency in the Worker', () => {
  it('answers 30 concurrent requests on a cold isolate, each on its own fetch', async () => {
    const s = await scene();
    const token = await s.token();

    const answers = await Promise.all(
      Array.from({ length: 30 }, () => s.gate.fetch('/orders', { headers: bearer(token) })),
    );

    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
    expect(s.origin.received).toHaveLength(30);
    expect(s.provider.count('/jwks.json')).toBeGreaterThanOrEqual(1);
    expect(s.gate.output.text()).not.toMatch(CROSS_REQUEST);
  });

  it('serves the next request after a request was cancelled during the key-set fetch', async () => {
    const s = await scene();
    let first = true;
    s.provider.route('/jwks.json', () => {
      const delayMs = first ? 1000 : 0;
      first = false;
      return { body: jwks(s.key), headers: { 'cache-control': 'max-age=600' }, delayMs };
    });
    const token = await s.token();

    const cancel = new AbortController();
    const cancelled = s.gate
      .fetch('/orders', { headers: bearer(token), signal: cancel.signal })
      .catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    cancel.abort();
    await cancelled;
    const next = await s.gate.fetch('/orders', { headers: bearer(token) });

    expect(next.status).toBe(200);
    expect(s.gate.output.text()).not.toMatch(CROSS_REQUEST);
  });
});

describe('KV tier', () => {
  it('verifies in a fresh isolate from warm KV without a provider request', async () => {
    const dir = scratchDir('fresh');
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const s = await scene({ kv: dir });
    const token = await s.token();

    expect((await s.gate.fetch('/orders', { headers: bearer(token) })).status).toBe(200);
    await kvFilled(s.gate);
    await s.gate.dispose();
    s.provider.resetCounts();
    const fresh = await gateOn(s.vars, dir);
    const answer = await fresh.fetch('/orders', { headers: bearer(token) });

    expect(answer.status).toBe(200);
    expect(s.provider.count()).toBe(0);
  });

  it('lets a second Worker on the same namespace verify without a provider request', async () => {
    const s = await scene({ kv: true, workers: 2 });
    const token = await s.token();

    expect((await s.gate.fetch('/orders', { headers: bearer(token) }, 0)).status).toBe(200);
    await kvFilled(s.gate);
    s.provider.resetCounts();
    const second = await s.gate.fetch('/orders', { headers: bearer(token) }, 1);

    expect(second.status).toBe(200);
    expect(s.provider.count()).toBe(0);
    expect(s.origin.received).toHaveLength(2);
  });

  it('keeps the KV copy past the stale window so KV never drops a set the cache may serve', async () => {
    const s = await scene({ kv: true, auth: authConfig({ cache: { staleWindowSeconds: 7200 } }) });
    const token = await s.token();

    await s.gate.fetch('/orders', { headers: bearer(token) });
    const [entry] = await kvFilled(s.gate);

    expect(entry?.name).toBe(`jwks:v1:${s.vars.JWKS_URL}`);
    const lifetimeSeconds = (entry?.expiration ?? 0) - Date.now() / 1000;
    expect(lifetimeSeconds).toBeGreaterThanOrEqual(7200 + 600 - 60);
  });

  it('fetches from the provider when KV holds a value this store did not write', async () => {
    const s = await scene({ kv: true });
    const kv = await s.gate.mf.getKVNamespace('JWKS_CACHE', 'gate0');
    await kv.put(`jwks:v1:${s.vars.JWKS_URL}`, '{"keys": "not a list"}');
    const token = await s.token();

    const answer = await s.gate.fetch('/orders', { headers: bearer(token) });

    expect(answer.status).toBe(200);
    expect(s.provider.count('/jwks.json')).toBe(1);
  });

  it('ignores a KV value stamped in the future, which would otherwise pin a wrong key', async () => {
    const s = await scene({ kv: true });
    const kv = await s.gate.mf.getKVNamespace('JWKS_CACHE', 'gate0');
    // Another key under the provider's kid, fetched "a thousand days from now".
    const stranger = await makeKey('RS256', 'k1');
    const ahead = Date.now() + 1000 * 86_400_000;
    const value = { keys: jwks(stranger).keys, fetchedAt: ahead, freshUntil: ahead + 600_000 };
    await kv.put(`jwks:v1:${s.vars.JWKS_URL}`, JSON.stringify(value));
    const token = await s.token();

    const answer = await s.gate.fetch('/orders', { headers: bearer(token) });

    expect(answer.status).toBe(200);
    expect(s.provider.count('/jwks.json')).toBe(1);
  });
});

describe('scheduled refresh', () => {
  it('refreshes the key set into KV so a fresh isolate needs no provider request', async () => {
    const dir = scratchDir('cron');
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const s = await scene({ kv: dir });

    expect(await s.gate.scheduled()).toBe('ok');
    const [line] = await s.gate.output.waitFor((l) => l.event === 'key_set_refresh');
    expect(line).toMatchObject({ ok: true, issuers: [{ issuer: s.vars.JWT_ISSUER, ok: true }] });
    await kvFilled(s.gate);
    expect(s.provider.count('/jwks.json')).toBe(1);

    await s.gate.dispose();
    const fresh = await gateOn(s.vars, dir);
    const answer = await fresh.fetch('/orders', { headers: bearer(await s.token()) });
    expect(answer.status).toBe(200);
    expect(s.provider.count('/jwks.json')).toBe(1);
  });

  it('logs a failed refresh with its code and keeps the cron run alive', async () => {
    const s = await scene();
    s.provider.route('/jwks.json', { status: 500, body: 'down' });

    expect(await s.gate.scheduled()).toBe('ok');
    const [line] = await s.gate.output.waitFor((l) => l.event === 'key_set_refresh');
    expect(line).toMatchObject({ ok: false });
    const issuers = (line?.issuers ?? []) as { code?: string }[];
    expect(issuers[0]?.code).toMatch(/^key_set_/);
  });
});
