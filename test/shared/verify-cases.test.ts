/**
 * CASES.md C01-C06 and C12, each as a family of inputs: the token chooses nothing, garbage never
 * escapes as anything but an AuthError, key material in the header is refused, ECDSA signature
 * shapes, `crit`, time-claim types, keys without `alg`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { outcomeOf } from '../../shared/errors.ts';
import { b64url, makeKey, rawToken, type TestKey } from '../fixtures/keys.ts';
import {
  asAlgorithm,
  hmacToken,
  signatureOf,
  signRaw,
  toDer,
  withSignature,
} from './fixtures/sign.ts';
import {
  failure,
  ISS,
  NOW,
  standard,
  standardKeys,
  validClaims,
  weakRsaKey,
} from './fixtures/tokens.ts';

let k: Awaited<ReturnType<typeof standardKeys>>;
beforeAll(async () => {
  k = await standardKeys();
});

const header = (key: TestKey, extra: Record<string, unknown> = {}) => ({
  alg: key.alg,
  kid: key.kid,
  ...extra,
});

describe('C01 the algorithm comes from configuration, never from the token', () => {
  const secrets = (key: TestKey): [string, Uint8Array][] => {
    const jwkText = JSON.stringify(key.publicJwk);
    const n = Buffer.from(String(key.publicJwk.n), 'base64url');
    const pem = `-----BEGIN PUBLIC KEY-----\n${Buffer.from(jwkText).toString('base64')}\n-----END PUBLIC KEY-----\n`;
    return [
      ['the JWK JSON', new TextEncoder().encode(jwkText)],
      ['the modulus bytes', new Uint8Array(n)],
      ['PEM-shaped text', new TextEncoder().encode(pem)],
    ];
  };

  it('rejects HS256 tokens keyed with the public key bytes of a key without alg', async () => {
    const { authorizer, keys } = standard([k.rsNoAlg]);
    for (const [, secret] of secrets(k.rsNoAlg)) {
      const token = await hmacToken({ alg: 'HS256', kid: 'rs-noalg' }, validClaims(), secret);
      expect(await failure(authorizer.verifyToken(token), token)).toBe(
        'token_unsupported_algorithm',
      );
    }
    expect(keys.lookups).toBe(0);
  });

  it.each(['HS256', 'HS384', 'HS512', 'hs256', 'none', 'None', 'NONE'])(
    'rejects the header alg %s before any key lookup',
    async (alg) => {
      const { authorizer, keys } = standard([k.rs]);
      const token = rawToken({ alg, kid: 'rs-1' }, validClaims(), 'c2ln');
      expect(await failure(authorizer.verifyToken(token))).toBe('token_unsupported_algorithm');
      expect(keys.lookups).toBe(0);
    },
  );

  it('rejects PS256 from the right RSA key when the issuer allows only RS256', async () => {
    const ps = await asAlgorithm(k.rsNoAlg, 'PS256');
    const { authorizer } = standard([k.rsNoAlg], { algorithms: ['RS256'] });
    const token = await signRaw(ps, header(ps), validClaims());
    expect(await failure(authorizer.verifyToken(token))).toBe('token_unsupported_algorithm');
  });

  it.each(['RS256 ', 'rs256', 'ES256K', 'RSA-OAEP', 'EdDSA'])(
    'rejects header alg %j that is not on the RS256-only allow-list',
    async (alg) => {
      const { authorizer } = standard([k.rs], { algorithms: ['RS256'] });
      const token = rawToken({ alg, kid: 'rs-1' }, validClaims(), 'c2ln');
      expect(await failure(authorizer.verifyToken(token))).toBe('token_unsupported_algorithm');
    },
  );

  it('rejects a header alg that the key declares differently, even when both are allowed', async () => {
    const { authorizer } = standard([k.rs], { algorithms: ['RS256', 'RS384'] });
    const token = await signRaw(
      await asAlgorithm(k.rs, 'RS384'),
      header(k.rs, { alg: 'RS384' }),
      validClaims(),
    );
    expect(await failure(authorizer.verifyToken(token))).toBe('key_unknown');
  });
});

describe('C02 garbage never becomes anything but a 401', () => {
  const expectUnauthenticated = async (token: string, keys: TestKey[]) => {
    const { authorizer } = standard(keys);
    const code = await failure(authorizer.verifyToken(token), token);
    expect(outcomeOf(code).kind).toBe('unauthenticated');
    return code;
  };

  it.each([
    ['abc', 'abc'],
    ['an empty string', ''],
    ['two dots', '..'],
    ['four parts', 'a.b.c.d'],
    ['a five-part JWE', `${b64url('{"alg":"RSA-OAEP","enc":"A256GCM"}')}.a.b.c.d`],
    ['non-JSON header', `${b64url('not json')}.${b64url('{}')}.c2ln`],
    ['a JSON array header', `${b64url('[1,2]')}.${b64url('{}')}.c2ln`],
    ['a JSON string header', `${b64url('"RS256"')}.${b64url('{}')}.c2ln`],
    ['a null header', `${b64url('null')}.${b64url('{}')}.c2ln`],
    ['standard base64 characters', `${b64url('{"alg":"RS256"}')}+/.${b64url('{}')}.c2ln`],
    ['padding in a segment', `${b64url('{"alg":"RS256"}')}==.${b64url('{}')}.c2ln`],
    ['whitespace inside', `${b64url('{"alg":"RS256"}')} .${b64url('{}')}.c2ln`],
  ])('rejects %s as token_malformed', async (_, token) => {
    expect(await expectUnauthenticated(token, [k.rs])).toBe('token_malformed');
  });

  it('rejects alg none with an empty signature', async () => {
    const token = rawToken({ alg: 'none' }, validClaims(), '');
    expect(await expectUnauthenticated(token, [k.rs])).toBe('token_unsupported_algorithm');
  });

  it('rejects HS256 with kid k1', async () => {
    const token = rawToken({ alg: 'HS256', kid: 'k1' }, validClaims(), 'c2ln');
    expect(await expectUnauthenticated(token, [k.rs])).toBe('token_unsupported_algorithm');
  });

  it.each([42, null, true, ['rs-1'], { id: 'rs-1' }])(
    'rejects kid %j that is not a string',
    async (kid) => {
      const token = await signRaw(k.rs, { alg: 'RS256', kid }, validClaims());
      expect(await expectUnauthenticated(token, [k.rs])).toBe('token_malformed');
    },
  );

  it.each([
    ['non-JSON claims', 'not json'],
    ['a JSON array', '[1,2,3]'],
    ['a JSON string', '"claims"'],
    ['JSON null', 'null'],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString('latin1')],
  ])('rejects %s as the payload of a correctly signed token', async (_, payload) => {
    const token = await signRaw(k.rs, header(k.rs), payload);
    expect(await expectUnauthenticated(token, [k.rs])).toBe('token_malformed');
  });

  it('rejects a token signed by a 1024-bit RSA key that is in the key set', async () => {
    const weak = await weakRsaKey('weak');
    const token = await signRaw(weak, header(weak), validClaims());
    expect(await expectUnauthenticated(token, [weak, k.rs])).toBe('key_unknown');
  });

  it('rejects a signature that is not base64url or is empty', async () => {
    const token = await signRaw(k.rs, header(k.rs), validClaims());
    expect(await expectUnauthenticated(withSignature(token, 'a+b/c'), [k.rs])).toBe(
      'token_malformed',
    );
    expect(await expectUnauthenticated(withSignature(token, ''), [k.rs])).toBe('token_malformed');
    expect(await expectUnauthenticated(withSignature(token, 'AA'), [k.rs])).toBe(
      'token_signature_invalid',
    );
  });

  it('rejects a published key whose material is broken', async () => {
    const broken = { ...k.es, publicJwk: { ...k.es.publicJwk, x: 'AAAA' } };
    const token = await signRaw(k.es, header(k.es), validClaims());
    expect(await expectUnauthenticated(token, [broken])).toBe('key_unknown');
  });
});

describe('C03 key material named in the header is refused', () => {
  it.each([
    ['jwk (the attacker key)', (key: TestKey) => ({ jwk: key.publicJwk })],
    ['jku', () => ({ jku: 'https://evil.example/jwks.json' })],
    ['x5u', () => ({ x5u: 'https://evil.example/cert.pem' })],
    ['x5c', () => ({ x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] })],
    ['jku pointing at the real key set', () => ({ jku: 'https://issuer.example/jwks' })],
  ])('rejects a header with %s and makes no lookup or request', async (_, extra) => {
    const attacker = await makeKey('RS256', 'rs-1');
    const { authorizer, keys } = standard([k.rs]);
    for (const signer of [attacker, k.rs]) {
      const token = await signRaw(signer, header(signer, extra(attacker)), validClaims());
      expect(await failure(authorizer.verifyToken(token), token)).toBe('token_header_rejected');
    }
    // The test runtime's fetch throws; a lookup count of zero shows nothing was even asked for.
    expect(keys.lookups).toBe(0);
  });
  it.each([
    ['JWK', (key: TestKey) => key.publicJwk],
    ['Jwk', (key: TestKey) => key.publicJwk],
    ['JKU', () => 'https://evil.example/jwks.json'],
    ['X5U', () => 'https://evil.example/cert.pem'],
    ['X5c', () => ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA']],
    ['CRIT', () => ['exp']],
    ['Enc', () => 'A128GCM'],
    ['B64', () => true],
  ])(
    'rejects the member spelled %s, a case variant a case-folding reader would honour',
    async (name, value) => {
      const attacker = await makeKey('RS256', 'rs-1');
      const { authorizer, keys } = standard([k.rs]);
      for (const signer of [attacker, k.rs]) {
        const token = await signRaw(
          signer,
          header(signer, { [name]: value(attacker) }),
          validClaims(),
        );
        const code = await failure(authorizer.verifyToken(token), token);
        expect(code).toBe('token_header_rejected');
      }
      expect(keys.lookups).toBe(0);
    },
  );

  it.each(['x5t', 'x5t#S256', 'cty', 'nonce_x', 'jwks'])(
    'accepts a correctly signed token whose header also carries %s, which names no key to use',
    async (name) => {
      const { authorizer } = standard([k.rs]);
      const token = await signRaw(k.rs, header(k.rs, { [name]: 'abc' }), validClaims());
      await expect(authorizer.verifyToken(token)).resolves.toMatchObject({ kid: 'rs-1' });
    },
  );
});

describe('C04 ECDSA signature shapes', () => {
  const shapes: [string, (sig: Uint8Array) => Uint8Array][] = [
    ['64 zero bytes (r = s = 0)', () => new Uint8Array(64)],
    ['a DER signature', (sig) => toDer(sig)],
    ['63 bytes', (sig) => sig.slice(0, 63)],
    ['65 bytes', (sig) => Uint8Array.of(...sig, 0)],
    ['r = 0 with a real s', (sig) => Uint8Array.of(...new Uint8Array(32), ...sig.slice(32))],
    ['all 0xff bytes', () => new Uint8Array(64).fill(0xff)],
    ['r and s swapped', (sig) => Uint8Array.of(...sig.slice(32), ...sig.slice(0, 32))],
  ];

  it.each(shapes)('rejects an ES256 token whose signature is %s', async (_, reshape) => {
    const { authorizer } = standard([k.es]);
    const token = await signRaw(k.es, header(k.es), validClaims());
    const bad = withSignature(token, reshape(signatureOf(token)));
    expect(await failure(authorizer.verifyToken(bad), bad)).toBe('token_signature_invalid');
  });

  it('rejects header ES384 with a P-256 key in the set', async () => {
    const noAlg = { ...k.es, publicJwk: { ...k.es.publicJwk, alg: undefined } };
    const { authorizer } = standard([noAlg]);
    const token = await signRaw(k.es, header(k.es, { alg: 'ES384' }), validClaims());
    expect(await failure(authorizer.verifyToken(token))).toBe('key_unknown');
  });

  it('rejects an ES256 header when the set holds a secp256k1 key under the kid', async () => {
    const secp = {
      kty: 'EC',
      crv: 'secp256k1',
      kid: 'es-1',
      x: 'eb5mfvncu6xVoGKVzocLBwKb_NstzijZWfKBWxb4F5g',
      y: 'SDradyajxGVdpPv8DhEIqP0XtEimhVQZnEfQj_sQ1Lg',
    };
    const { authorizer } = standard({ keys: [secp] });
    const token = await signRaw(k.es, header(k.es), validClaims());
    expect(await failure(authorizer.verifyToken(token))).toBe('key_unknown');
  });
});

describe('C04 kind: a key of the wrong type or curve is never tried', () => {
  it.each([
    [
      'an Ed448 key for EdDSA',
      {
        kty: 'OKP',
        crv: 'Ed448',
        x: 'X9dEm1m0Yf0s54fsYWrUah2hNCSFpw4fig6nXYDpZ3jt8SR2m0bHBhvWeD3x5Q9s0foavq_oJWGA',
      },
      'EdDSA',
    ],
    [
      'an X25519 key for EdDSA',
      { kty: 'OKP', crv: 'X25519', x: 'hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo' },
      'EdDSA',
    ],
    [
      'an EC key for RS256',
      {
        kty: 'EC',
        crv: 'P-256',
        x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
        y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
      },
      'RS256',
    ],
    ['an oct key for RS256', { kty: 'oct', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ' }, 'RS256'],
  ])('rejects %s', async (_, jwk, alg) => {
    const { authorizer } = standard({ keys: [{ ...jwk, kid: 'k' }] });
    const token = rawToken({ alg, kid: 'k' }, validClaims(), 'c2lnbmF0dXJl');
    expect(await failure(authorizer.verifyToken(token))).toBe('key_unknown');
  });

  it('accepts the fully specified Ed25519 alg with an alg-less Ed25519 key, not with a key declaring EdDSA', async () => {
    const ed = { ...k.ed, alg: 'Ed25519' };
    const token = await signRaw(ed, header(k.ed, { alg: 'Ed25519' }), validClaims());
    const bare = { ...k.ed, publicJwk: { ...k.ed.publicJwk, alg: undefined } } as TestKey;
    await expect(standard([bare]).authorizer.verifyToken(token)).resolves.toBeDefined();
    expect(await failure(standard([k.ed]).authorizer.verifyToken(token))).toBe('key_unknown');
  });
});

describe('C05 crit is refused in every shape', () => {
  it.each([
    { crit: ['urn:example:x'], 'urn:example:x': 1 },
    { crit: ['b64'], b64: false },
    { crit: ['b64'], b64: true },
    { crit: [] },
    { crit: 'b64' },
    { crit: null },
    { crit: ['exp'], exp: 1 },
  ])('rejects a correctly signed token with header %j', async (extra) => {
    const { authorizer } = standard([k.rs]);
    const token = await signRaw(k.rs, header(k.rs, extra), validClaims());
    expect(await failure(authorizer.verifyToken(token), token)).toBe('token_header_rejected');
  });

  it.each([{ b64: false }, { b64: 0 }, { zip: 'DEF' }, { enc: 'A256GCM' }])(
    'rejects a correctly signed token with the processing member %j and no crit',
    async (extra) => {
      const { authorizer } = standard([k.rs]);
      const token = await signRaw(k.rs, header(k.rs, extra), validClaims());
      expect(await failure(authorizer.verifyToken(token), token)).toBe('token_header_rejected');
    },
  );
});

describe('C06 time claims of the wrong type or range', () => {
  const raw = (claims: string) =>
    `{"iss":"${ISS}","aud":"https://api.example","sub":"u",${claims}}`;

  it.each([
    ['exp as a numeric string', raw('"exp":"1484048026"'), 'token_malformed'],
    ['exp as an ISO date', raw('"exp":"2030-01-01T00:00:00Z"'), 'token_malformed'],
    ['exp true', raw('"exp":true'), 'token_malformed'],
    ['exp null', raw('"exp":null'), 'token_malformed'],
    ['exp 1e309 (Infinity)', raw('"exp":1e309'), 'token_malformed'],
    ['exp -1e309', raw('"exp":-1e309'), 'token_malformed'],
    ['exp an object', raw('"exp":{"$date":1}'), 'token_malformed'],
    ['exp an array', raw(`"exp":[${NOW + 60}]`), 'token_malformed'],
    ['exp -1', raw('"exp":-1'), 'token_expired'],
    ['exp 0', raw('"exp":0'), 'token_expired'],
    ['exp in milliseconds long past', raw(`"exp":${NOW - 10_000}`), 'token_expired'],
    ['no exp', raw('"iat":1'), 'token_expired'],
    ['exp 1e19 (beyond year 9999)', raw('"exp":1e19'), 'token_malformed'],
    ['exp one second past year 9999', raw('"exp":253402300800'), 'token_malformed'],
    ['nbf 1e19', raw(`"exp":${NOW + 60},"nbf":1e19`), 'token_malformed'],
    ['nbf in the future', raw(`"exp":${NOW + 600},"nbf":${NOW + 300}`), 'token_not_yet_valid'],
    ['nbf as a string', raw(`"exp":${NOW + 60},"nbf":"0"`), 'token_malformed'],
    ['nbf null', raw(`"exp":${NOW + 60},"nbf":null`), 'token_malformed'],
    ['nbf 1e309', raw(`"exp":${NOW + 60},"nbf":1e309`), 'token_malformed'],
    ['iat as a string', raw(`"exp":${NOW + 60},"iat":"${NOW}"`), 'token_malformed'],
    ['iat false', raw(`"exp":${NOW + 60},"iat":false`), 'token_malformed'],
    ['iat 1e19', raw(`"exp":${NOW + 60},"iat":1e19`), 'token_malformed'],
    [
      'iat beyond the tolerance in the future',
      raw(`"exp":${NOW + 60},"iat":${NOW + 31}`),
      'token_too_old',
    ],
  ])('rejects %s', async (_, claims, code) => {
    const { authorizer } = standard([k.rs]);
    const token = await signRaw(k.rs, header(k.rs), claims);
    expect(await failure(authorizer.verifyToken(token), token)).toBe(code);
  });

  it.each([
    ['a fractional exp', raw(`"exp":${NOW + 60}.25`)],
    ['exp in exponent notation', raw(`"exp":${(NOW + 60) / 1000}e3`)],
    ['a far future exp', raw('"exp":32503680000')],
    ['the last second of year 9999 as exp', raw('"exp":253402300799')],
    ['an iat within the tolerance in the future', raw(`"exp":${NOW + 60},"iat":${NOW + 30}`)],
  ])('accepts %s in range', async (_, claims) => {
    const { authorizer } = standard([k.rs]);
    await expect(
      authorizer.verifyToken(await signRaw(k.rs, header(k.rs), claims)),
    ).resolves.toBeDefined();
  });

  it('rejects a sub that is not a string', async () => {
    const { authorizer } = standard([k.rs]);
    const token = await signRaw(k.rs, header(k.rs), validClaims({ sub: 12 }));
    expect(await failure(authorizer.verifyToken(token))).toBe('token_malformed');
  });
});

describe('C12 keys without alg', () => {
  it('accepts an RS256 token by kid and key type when the key publishes no alg', async () => {
    const { authorizer } = standard([k.rsNoAlg]);
    const token = await signRaw(k.rsNoAlg, header(k.rsNoAlg), validClaims());
    await expect(authorizer.verifyToken(token)).resolves.toMatchObject({ kid: 'rs-noalg' });
    expect(k.rsNoAlg.publicJwk.alg).toBeUndefined();
  });

  it('keeps the header alg out of the key, so the same key serves another allowed alg', async () => {
    const { authorizer, keys } = standard([k.rsNoAlg], { algorithms: ['RS256', 'PS256'] });
    const rs = await signRaw(k.rsNoAlg, header(k.rsNoAlg), validClaims());
    const ps = await signRaw(
      await asAlgorithm(k.rsNoAlg, 'PS256'),
      header(k.rsNoAlg, { alg: 'PS256' }),
      validClaims(),
    );
    await expect(authorizer.verifyToken(rs)).resolves.toBeDefined();
    await expect(authorizer.verifyToken(ps)).resolves.toBeDefined();
    const [published] = (await keys.getKeys(authorizerIssuer(), 'rs-noalg')).keys;
    expect(published?.jwk.alg).toBeUndefined();
    expect(published?.alg).toBeUndefined();
  });

  it('rejects an alg-less RSA key for an EC algorithm', async () => {
    const { authorizer } = standard([k.rsNoAlg], { algorithms: ['ES256'] });
    const token = await signRaw(k.es, header(k.es, { kid: 'rs-noalg' }), validClaims());
    expect(await failure(authorizer.verifyToken(token))).toBe('key_unknown');
  });

  it('reports a forged signature before looking at its expired claims', async () => {
    const { authorizer } = standard([k.rsNoAlg]);
    const forged = await signRaw(
      await makeKey('RS256', 'rs-noalg'),
      header(k.rsNoAlg),
      validClaims({ exp: NOW - 1000 }),
    );
    expect(await failure(authorizer.verifyToken(forged))).toBe('token_signature_invalid');
  });
});

function authorizerIssuer() {
  return standard([k.rsNoAlg]).config.issuers[0]!;
}
