/**
 * CASES.md kinds once more through the Lambda bundle, with inputs the other tests do not use:
 * each token below must end in exactly `Unauthorized` (never another error, never a policy),
 * and the accepted variants must be allowed.
 */
import { createHmac, createSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64url, rawToken, seconds } from '../fixtures/keys.ts';
import {
  captureLogs,
  coldStart,
  type Handler,
  httpV2Event,
  outcome,
  type Scene,
  startScene,
  tokenEvent,
} from './harness.ts';

let s: Scene;
let handler: Handler;
beforeAll(async () => {
  s = await startScene();
  handler = await coldStart(s.env());
});
afterAll(async () => s?.close());

async function run(event: unknown): Promise<{ value?: unknown; error?: Error }> {
  const logs = captureLogs();
  try {
    return await outcome(handler, event);
  } finally {
    logs.restore();
  }
}

const claims = () => {
  const now = seconds(Date.now());
  return { iss: s.issuer, aud: s.audience, sub: 'u', iat: now, exp: now + 600 };
};

/** A token with our header and payload, really signed by the scene's RSA key. */
async function signed(header: Record<string, unknown>, payload: Record<string, unknown>) {
  const { exportPKCS8 } = await import('jose');
  const pem = await exportPKCS8(s.key.privateKey as CryptoKey);
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(pem);
  return `${input}.${b64url(signature)}`;
}

const kid = () => s.key.kid;

const unauthorized: [string, () => Promise<string>][] = [
  // C01: an HMAC keyed with the JWK's modulus text, and a header algorithm the issuer does not use.
  [
    'C01 HS512 keyed with n',
    async () => {
      const header = b64url(JSON.stringify({ alg: 'HS512', kid: kid() }));
      const input = `${header}.${b64url(JSON.stringify(claims()))}`;
      const mac = createHmac('sha512', String(s.key.publicJwk.n)).update(input).digest();
      return `${input}.${b64url(mac)}`;
    },
  ],
  [
    'C01 RS512 header over an RS256 signature',
    () => signed({ alg: 'RS512', kid: kid() }, claims()),
  ],
  // C02 garbage of other shapes.
  ['C02 kid as an object', async () => rawToken({ alg: 'RS256', kid: { a: 1 } }, claims(), 'AA')],
  ['C02 payload JSON null', async () => rawToken({ alg: 'RS256', kid: kid() }, 'bnVsbA', 'AA')],
  [
    'C02 payload a JSON string',
    async () => rawToken({ alg: 'RS256', kid: kid() }, b64url('"x"'), 'AA'),
  ],
  ['C02 four parts', async () => `${rawToken({ alg: 'RS256', kid: kid() }, claims(), 'AA')}.AA`],
  ['C02 empty segments', async () => '..'],
  ['C02 header padded with =', async () => `${b64url(JSON.stringify({ alg: 'RS256' }))}=.e30.AA`],
  // C03: key material in the header, here pointing back at the genuine key.
  [
    'C03 jwk equal to the real key',
    () => signed({ alg: 'RS256', kid: kid(), jwk: s.key.publicJwk }, claims()),
  ],
  [
    'C03 jku of the real key set',
    () => signed({ alg: 'RS256', kid: kid(), jku: `${s.provider.url}/jwks.json` }, claims()),
  ],
  // C05: crit naming a registered header.
  ['C05 crit ["kid"]', () => signed({ alg: 'RS256', kid: kid(), crit: ['kid'] }, claims())],
  [
    'C05 crit ["exp"] with exp in the header',
    () => signed({ alg: 'RS256', kid: kid(), crit: ['exp'], exp: 1 }, claims()),
  ],
  // C06 other wrong shapes of time claims.
  [
    'C06 exp as an array',
    () => signed({ alg: 'RS256', kid: kid() }, { ...claims(), exp: [9_999_999_999] }),
  ],
  [
    'C06 exp as an object',
    () => signed({ alg: 'RS256', kid: kid() }, { ...claims(), exp: { $date: 9_999_999_999 } }),
  ],
  [
    'C06 exp beyond 2^53',
    () => signed({ alg: 'RS256', kid: kid() }, { ...claims(), exp: 2 ** 60 }),
  ],
  ['C06 nbf as text', () => signed({ alg: 'RS256', kid: kid() }, { ...claims(), nbf: '0' })],
  ['C06 iat as text', () => signed({ alg: 'RS256', kid: kid() }, { ...claims(), iat: 'now' })],
  ['C06 exp 0', () => signed({ alg: 'RS256', kid: kid() }, { ...claims(), exp: 0 })],
  // iss/aud of the wrong type.
  ['iss as an array', () => signed({ alg: 'RS256', kid: kid() }, { ...claims(), iss: [s.issuer] })],
  [
    'aud as an object',
    () => signed({ alg: 'RS256', kid: kid() }, { ...claims(), aud: { 0: s.audience } }),
  ],
];

describe('C01-C06 variants through the Lambda bundle', () => {
  it.each(unauthorized)('%s → Unauthorized', async (_, make) => {
    const token = await make();
    for (const event of [
      tokenEvent(`Bearer ${token}`),
      httpV2Event({ authorization: `Bearer ${token}` }),
    ]) {
      const result = await run(event);
      expect(result.value).toBeUndefined();
      expect(result.error?.message).toBe('Unauthorized');
    }
  });

  it('allows the same signer with a fractional exp and an unknown non-crit header member', async () => {
    const token = await signed(
      { alg: 'RS256', kid: kid(), typ: 'at+jwt', 'x-note': [1] },
      { ...claims(), exp: seconds(Date.now()) + 600.5 },
    );
    const result = await run(tokenEvent(`Bearer ${token}`));
    expect(result.error).toBeUndefined();
    expect(JSON.stringify(result.value)).toContain('"Allow"');
  });
});

describe('C18 variants in the TOKEN event', () => {
  it.each([
    ['a trailing comma', (t: string) => `Bearer ${t},`],
    ['a no-break space after Bearer', (t: string) => `Bearer\u00a0${t}`],
    ['Bearer twice', (t: string) => `Bearer Bearer ${t}`],
  ])('%s → Unauthorized', async (_, shape) => {
    const token = await s.token();
    const result = await run(tokenEvent(shape(token)));
    expect(result.error?.message).toBe('Unauthorized');
  });
});
