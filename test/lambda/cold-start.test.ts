/**
 * Module scope across invocations: nothing fetched at import (unless warm-up is on), key sets
 * and verified tokens kept for warm invocations, one fetch for a cold stampede (C16), a cold
 * instance with the provider down failing closed (C17, C22), and a configuration error logged
 * once and failing every invocation closed (C07).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs, coldStart, outcome, type Scene, startScene, tokenEvent } from './harness.ts';
import { expectFailClosed, expectIamAnswer } from './shapes.ts';

const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/users/42';

let scene: Scene;
let logs: ReturnType<typeof captureLogs>;
beforeAll(async () => {
  scene = await startScene();
  logs = captureLogs();
});
afterEach(() => {
  logs.lines.length = 0;
  scene.provider.resetCounts();
});
afterAll(async () => {
  logs.restore();
  await scene.close();
});

describe('key sets in module scope', () => {
  it('fetches nothing at import and the key set once, on the first invocation', async () => {
    const handler = await coldStart(scene.env());

    expect(scene.provider.count()).toBe(0);

    expectIamAnswer(
      (await outcome(handler, tokenEvent(`Bearer ${await scene.token()}`, ARN))).value,
      ARN,
    );
    expectIamAnswer(
      (await outcome(handler, tokenEvent(`Bearer ${await scene.token({ sub: 'u2' })}`, ARN))).value,
      ARN,
    );

    expect(scene.provider.count('/jwks.json')).toBe(1);
  });

  it('serves a repeated token from the verified-token cache on a warm invocation', async () => {
    const handler = await coldStart(scene.env());
    const event = tokenEvent(`Bearer ${await scene.token()}`, ARN);

    await outcome(handler, event);
    await outcome(handler, event);

    expect(logs.decisions().map((line) => line.cache)).toEqual(['miss', 'token']);
  });

  it('fetches the key set during init when JWKS_WARM_UP is true', async () => {
    const handler = await coldStart(scene.env({ JWKS_WARM_UP: 'true' }));

    expect(scene.provider.count('/jwks.json')).toBe(1);
    expect(logs.lines.find((line) => line.msg === 'key sets warmed up')).toBeDefined();

    expectIamAnswer(
      (await outcome(handler, tokenEvent(`Bearer ${await scene.token()}`, ARN))).value,
      ARN,
    );
    expect(scene.provider.count('/jwks.json')).toBe(1);
  });

  it('makes one fetch for 1000 concurrent invocations on a cold instance (C16)', async () => {
    const handler = await coldStart(scene.env());
    const tokens = await Promise.all(
      Array.from({ length: 10 }, (_, i) => scene.token({ sub: `user-${i}` })),
    );

    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        outcome(handler, tokenEvent(`Bearer ${tokens[i % tokens.length]}`, ARN)),
      ),
    );

    expect(scene.provider.count('/jwks.json')).toBe(1);
    for (const result of results) expectIamAnswer(result.value, ARN);
    expect(logs.decisions()).toHaveLength(1000);
  });

  it('keeps verifying with the cached key set when the provider goes down (C17 warm)', async () => {
    const down = await startScene();
    const handler = await coldStart(down.env());
    await outcome(handler, tokenEvent(`Bearer ${await down.token()}`, ARN));
    down.provider.route('/jwks.json', { destroy: true });

    const result = await outcome(
      handler,
      tokenEvent(`Bearer ${await down.token({ sub: 'u3' })}`, ARN),
    );

    expectIamAnswer(result.value, ARN);
    expect(down.provider.count('/jwks.json')).toBe(1);
    await down.close();
  });
});

describe('provider down on a cold instance (C17, C22)', () => {
  const failures: [string, () => import('../fixtures/provider.ts').Reply][] = [
    ['a refused connection', () => ({ destroy: true })],
    ['a 500', () => ({ status: 500, body: 'oops' })],
    [
      'an HTML page',
      () => ({ status: 200, body: '<html></html>', headers: { 'content-type': 'text/html' } }),
    ],
    ['a document that is not a key set', () => ({ status: 200, body: { keys: 'x' } })],
  ];
  for (const [label, reply] of failures) {
    it(`fails closed with an error that is not Unauthorized on ${label}`, async () => {
      const down = await startScene();
      down.provider.route('/jwks.json', reply());
      const handler = await coldStart(down.env());

      const result = await outcome(handler, tokenEvent(`Bearer ${await down.token()}`, ARN));

      expectFailClosed(result);
      expect(logs.decisions()[0]).toMatchObject({ outcome: 'error', level: 'error' });
      expect(['key_set_unavailable', 'key_set_invalid']).toContain(logs.decisions()[0]?.code);
      await down.close();
    });
  }
});

describe('configuration errors (C07)', () => {
  const broken: [string, Record<string, string>, string][] = [
    ['no issuer at all', { JWT_AUDIENCE: 'x' }, 'JWT_ISSUER'],
    ['an empty audience', { JWT_AUDIENCE: '' }, 'JWT_AUDIENCE'],
    ['a blank issuer', { JWT_ISSUER: '  ' }, 'JWT_ISSUER'],
    ['AUTH_CONFIG that is not JSON', { AUTH_CONFIG: '{routes:' }, 'AUTH_CONFIG'],
    ['an unknown response mode', { AUTHORIZER_RESPONSE: 'policy' }, 'AUTHORIZER_RESPONSE'],
    ['an unknown warm-up value', { JWKS_WARM_UP: 'yes' }, 'JWKS_WARM_UP'],
  ];
  for (const [label, change, option] of broken) {
    it(`fails every invocation closed and logs ${option} once for ${label}`, async () => {
      const env: Record<string, string> = { ...scene.env(), ...change };
      if (label === 'no issuer at all') delete env.JWT_ISSUER;
      const handler = await coldStart(env);
      const event = tokenEvent(`Bearer ${await scene.token()}`, ARN);

      const results = [
        await outcome(handler, event),
        await outcome(handler, event),
        await outcome(handler, event),
      ];

      for (const result of results) expectFailClosed(result);
      const reports = logs.lines.filter((line) => line.msg === 'configuration error');
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({ level: 'error', option });
      expect(typeof reports[0]?.fix).toBe('string');
      expect(logs.decisions()).toHaveLength(3);
      expect(logs.decisions().every((line) => line.code === 'config_error')).toBe(true);
      expect(scene.provider.count()).toBe(0);
    });
  }
});
