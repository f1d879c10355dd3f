/**
 * CASES.md kinds once more through the bundled Worker in workerd, with inputs the other tests do
 * not use: ECDSA signatures equal to the curve order or all ones, garbage of other shapes, time
 * claims of other wrong types, other Authorization spellings, and key-set documents of other
 * wrong kinds. None may reach the origin, and none may become a 500.
 */
import { createSign } from 'node:crypto';
import { exportPKCS8 } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { b64url, jwks, makeKey, mint, rawToken, seconds, type TestKey } from '../fixtures/keys.ts';
import { AUDIENCE, ISSUER, type Scene, startScene } from './setup.ts';

/** The order of P-256. */
const P256_N = Buffer.from(
  'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  'hex',
);

let s: Scene;
let ec: TestKey;
beforeAll(async () => {
  s = await startScene({ vars: { JWT_ALGORITHMS: 'RS256,ES256' } });
  ec = await makeKey('ES256', 'ec1');
  s.provider.route('/jwks.json', {
    body: jwks(s.key, ec),
    headers: { 'cache-control': 'max-age=600' },
  });
});
afterAll(async () => s?.close());

const claims = () => {
  const now = seconds(Date.now());
  return { iss: ISSUER, aud: AUDIENCE, sub: 'u', iat: now, exp: now + 600 };
};

/** A token with this header and payload, really signed by the scene's RSA key. */
async function signed(header: Record<string, unknown>, payload: Record<string, unknown>) {
  const pem = await exportPKCS8(s.key.privateKey as CryptoKey);
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(createSign('RSA-SHA256').update(input).sign(pem))}`;
}

const ecToken = (signature: Uint8Array) =>
  rawToken({ alg: 'ES256', kid: 'ec1' }, claims(), signature);

const refused: [string, () => Promise<string>][] = [
  ['C04 r = s = n', async () => ecToken(Buffer.concat([P256_N, P256_N]))],
  [
    'C04 r = n, s = 1',
    async () => ecToken(Buffer.concat([P256_N, Buffer.alloc(31), Buffer.from([1])])),
  ],
  ['C04 64 bytes of 0xff', async () => ecToken(Buffer.alloc(64, 0xff))],
  ['C04 an empty signature', async () => ecToken(new Uint8Array())],
  [
    'C04 ES512 header with the P-256 key',
    async () => rawToken({ alg: 'ES512', kid: 'ec1' }, claims(), Buffer.alloc(132, 1)),
  ],
  ['C04 an RS256 signature under the EC kid', () => signed({ alg: 'RS256', kid: 'ec1' }, claims())],
  [
    'C02 a kid of 10 000 characters',
    () => signed({ alg: 'RS256', kid: 'k'.repeat(10_000) }, claims()),
  ],
  ['C02 a header that is JSON true', async () => rawToken(b64url('true'), claims(), 'AA')],
  [
    'C02 a header with a duplicate alg',
    async () =>
      `${b64url('{"alg":"none","alg":"RS256","kid":"k1"}')}.${b64url(JSON.stringify(claims()))}.AA`,
  ],
  [
    'C05 crit naming a member that is absent',
    () => signed({ alg: 'RS256', kid: 'k1', crit: ['urn:x'] }, claims()),
  ],
  [
    'C06 exp as an array',
    () => signed({ alg: 'RS256', kid: 'k1' }, { ...claims(), exp: [9_999_999_999] }),
  ],
  ['C06 nbf as text', () => signed({ alg: 'RS256', kid: 'k1' }, { ...claims(), nbf: '0' })],
  ['C06 exp of 2^60', () => signed({ alg: 'RS256', kid: 'k1' }, { ...claims(), exp: 2 ** 60 })],
];

describe('token variants in workerd', () => {
  it.each(refused)('%s → 401 and nothing at the origin', async (_, make) => {
    const { response, arrived } = await s.send('/orders', {
      Authorization: `Bearer ${await make()}`,
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    expect(arrived()).toHaveLength(0);
  });

  it('allows a genuine ES256 token of the same key', async () => {
    const { response, arrived } = await s.send('/orders', {
      Authorization: `Bearer ${await mint(ec, { iss: ISSUER, aud: AUDIENCE, sub: 'ec' })}`,
    });
    expect(response.status).toBe(200);
    expect(arrived()).toHaveLength(1);
  });
});

describe('C18 variants in workerd', () => {
  it.each([
    ['a no-break space after Bearer', (t: string) => `Bearer\u00a0${t}`],
    ['Bearer twice', (t: string) => `Bearer Bearer ${t}`],
    ['a quoted token', (t: string) => `Bearer "${t}"`],
    ['a trailing comma', (t: string) => `Bearer ${t},`],
  ])('refuses %s without reaching the origin', async (_, shape) => {
    const token = await s.token();
    const { response, arrived } = await s.send('/orders', {
      Authorization: shape(token),
      Cookie: `__session=${token}`,
    });
    expect([400, 401]).toContain(response.status);
    expect(arrived()).toHaveLength(0);
  });
});

describe('C14 and C17 variants on a cold Worker', () => {
  const cold: Scene[] = [];
  afterEach(async () => {
    for (const scene of cold.splice(0)) await scene.close();
  });

  it.each([
    ['a single JWK, not a set', (key: TestKey) => ({ body: key.publicJwk })],
    ['a JSON null', () => ({ body: 'null', headers: { 'content-type': 'application/json' } })],
    ['keys as an object', (key: TestKey) => ({ body: { keys: { 0: key.publicJwk } } })],
    ['a 404', () => ({ status: 404, body: 'gone' })],
    ['an empty 200', () => ({ body: '', headers: { 'content-type': 'application/json' } })],
  ])('answers 503 with Retry-After for %s', async (_, reply) => {
    const scene = await startScene();
    cold.push(scene);
    scene.provider.route('/jwks.json', reply(scene.key) as never);
    const { response, arrived } = await scene.send('/orders', {
      Authorization: `Bearer ${await scene.token()}`,
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(arrived()).toHaveLength(0);
  });
});
