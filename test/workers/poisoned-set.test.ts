/**
 * C13 through the bundled Worker, with unusable keys of kinds the other tests do not publish:
 * beside the good RSA key, the set holds an X25519 key, a P-256 key whose x is too short, an
 * RSA key with standard-base64 `n`, a key with a numeric `kty`, a key with a numeric `kid`, an
 * encryption-only RSA key and an Ed448 key. The good key's token is allowed; a token naming any
 * of the others is 401 and never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwks, mint } from '../fixtures/keys.ts';
import { AUDIENCE, bearer, ISSUER, type Scene, startScene } from './setup.ts';

const BAD_KEYS: Record<string, unknown>[] = [
  { kty: 'OKP', crv: 'X25519', kid: 'x25519', x: 'hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo' },
  { kty: 'EC', crv: 'P-256', kid: 'short-x', x: 'AAAA', y: 'AAAA', alg: 'ES256' },
  { kty: 'RSA', kid: 'std-b64', alg: 'RS256', e: 'AQAB', n: '+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/8=' },
  { kty: 1, kid: 'numeric-kty' },
  { kty: 'RSA', kid: 7, alg: 'RS256', e: 'AQAB', n: 'AQAB' },
  {
    kty: 'OKP',
    crv: 'Ed448',
    kid: 'ed448',
    x: 'X9dEm1m0Yf0s54fsYWrUah2hNCSFpw4fig6nXYDpZ3jt8SR2m0bHBhvWeD3x5Q9s0foavq_oJWGA',
  },
];

let s: Scene;
beforeAll(async () => {
  s = await startScene({ vars: { JWT_ALGORITHMS: 'RS256,ES256,EdDSA' } });
  // The encryption-only twin of the good key, under its own kid.
  const enc = { ...s.key.publicJwk, kid: 'enc-only', use: 'enc', alg: 'RSA-OAEP' };
  s.provider.route('/jwks.json', {
    body: { keys: [...BAD_KEYS, enc, ...jwks(s.key).keys] },
    headers: { 'cache-control': 'max-age=600' },
  });
});
afterAll(async () => s?.close());

describe('C13 in workerd', () => {
  it('allows the good key and logs the skipped keys once', async () => {
    const first = await s.gate.fetch('/a', { headers: bearer(await s.token()) });
    const second = await s.gate.fetch('/b', { headers: bearer(await s.token()) });

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    await s.gate.output.waitFor((l) => l.path === '/b');
    expect(s.gate.output.events('key_set')).toHaveLength(1);
    expect(s.provider.count('/jwks.json')).toBe(1);
  });

  it.each(['x25519', 'short-x', 'std-b64', 'numeric-kty', '7', 'ed448', 'enc-only'])(
    'answers 401 for a token naming the unusable key %s',
    async (kid) => {
      const token = await mint({ ...s.key, kid }, { iss: ISSUER, aud: AUDIENCE });
      const { response, arrived } = await s.send('/orders', { Authorization: `Bearer ${token}` });
      expect(response.status).toBe(401);
      expect(arrived()).toHaveLength(0);
    },
  );
});
