/**
 * C18 at the HTTP level: the spellings of `Authorization: Bearer` a gate must accept, and the
 * ones it must refuse without falling back to another credential source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Scene, startScene } from './setup.ts';

let scene: Scene;
let token: string;
beforeAll(async () => {
  scene = await startScene({
    auth: { realm: 'c18', credentials: { bearer: true, cookie: '__session' } },
  });
  token = await scene.token();
});
afterAll(async () => {
  await scene?.close();
});

let counter = 0;
async function send(headers: Record<string, string> | [string, string][]) {
  const id = `c18-${++counter}`;
  const list: [string, string][] = Array.isArray(headers) ? headers : Object.entries(headers);
  const response = await scene.gate.fetch('/orders', { headers: [['x-test-id', id], ...list] });
  return { response, arrived: scene.origin.withId(id) };
}

describe('C18 Authorization header parsing', () => {
  const accepted: [string, (t: string) => string][] = [
    ['lower-case scheme', (t) => `bearer ${t}`],
    ['upper-case scheme and several spaces', (t) => `BEARER   ${t}`],
    ['a trailing space', (t) => `Bearer ${t} `],
  ];
  for (const [label, header] of accepted) {
    it(`accepts a bearer token with ${label}`, async () => {
      const { response, arrived } = await send({ Authorization: header(token) });

      expect(response.status).toBe(200);
      expect(arrived).toHaveLength(1);
    });
  }

  const refused: [string, (t: string) => [string, string][]][] = [
    [
      'two header lines, Basic then Bearer',
      (t) => [
        ['Authorization', 'Basic dXNlcjpw'],
        ['Authorization', `Bearer ${t}`],
      ],
    ],
    ['two bearer tokens in one value', (t) => [['Authorization', `Bearer ${t}, Bearer ${t}`]]],
    ['the Token scheme', (t) => [['Authorization', `Token ${t}`]]],
    ['a bare token', (t) => [['Authorization', t]]],
    ['an empty bearer value', () => [['Authorization', 'Bearer ']]],
  ];
  for (const [label, headers] of refused) {
    it(`refuses ${label} without reaching the origin`, async () => {
      const { response, arrived } = await send(headers(token));

      expect([400, 401]).toContain(response.status);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="c18", error="/);
      expect(arrived).toHaveLength(0);
    });

    it(`refuses ${label} even with a valid session cookie (no fallback)`, async () => {
      const { response, arrived } = await send([
        ...headers(token),
        ['Cookie', `__session=${token}`],
      ]);

      expect([400, 401]).toContain(response.status);
      expect(arrived).toHaveLength(0);
    });
  }

  it('answers 400 invalid_request for two bearer tokens', async () => {
    const { response } = await send({ Authorization: `Bearer ${token}, Bearer ${token}` });

    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="c18", error="invalid_request", ' +
        'error_description="The credential is malformed or sent more than once"',
    );
    expect(response.json()).toEqual({ error: 'invalid_request', code: 'credential_malformed' });
  });
});
