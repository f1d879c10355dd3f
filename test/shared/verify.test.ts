import { beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../shared/errors.ts';
import type { KeySource } from '../../shared/types.ts';
import { createVerifier } from '../../shared/verify.ts';
import { jwks, makeKey, mint, type TestKey } from '../fixtures/keys.ts';
import { config, testRuntime } from './fixtures/setup.ts';
import { signRaw } from './fixtures/sign.ts';
import { AUD, failure, ISS, NOW, standard, standardKeys, validClaims } from './fixtures/tokens.ts';

let k: Awaited<ReturnType<typeof standardKeys>>;
beforeAll(async () => {
  k = await standardKeys();
});

const sign = (
  key: TestKey,
  extra: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
) => signRaw(key, { alg: key.alg, kid: key.kid, typ: 'JWT', ...header }, validClaims(extra));

describe('verifyToken accepts', () => {
  it.each(['rs', 'ps', 'es', 'es384', 'ed'] as const)(
    'accepts a valid %s token and reports the identity',
    async (name) => {
      const key = k[name];
      const { authorizer } = standard([key]);
      const token = await sign(key, { scope: 'read write' });
      const identity = await authorizer.verifyToken(token);
      expect(identity).toMatchObject({
        iss: ISS,
        subject: 'user-1',
        kid: key.kid,
        scopes: ['read', 'write'],
        source: 'bearer',
        cache: 'hit',
      });
      expect(identity.issuer.issuer).toBe(ISS);
      expect(identity.header.alg).toBe(key.alg);
    },
  );

  it('accepts a fractional exp that is in range', async () => {
    const { authorizer } = standard([k.rs]);
    await expect(
      authorizer.verifyToken(await sign(k.rs, { exp: NOW + 0.5 })),
    ).resolves.toMatchObject({ subject: 'user-1' });
  });

  it('accepts an aud array holding one accepted audience', async () => {
    const { authorizer } = standard([k.rs]);
    await expect(
      authorizer.verifyToken(await sign(k.rs, { aud: ['other', AUD] })),
    ).resolves.toBeDefined();
  });

  it('accepts any aud, or none, when allowAnyAudience is set', async () => {
    const { authorizer } = standard([k.rs], { audiences: undefined, allowAnyAudience: true });
    await expect(
      authorizer.verifyToken(await sign(k.rs, { aud: 'anything' })),
    ).resolves.toBeDefined();
    await expect(
      authorizer.verifyToken(await sign(k.rs, { aud: undefined })),
    ).resolves.toBeDefined();
  });

  it('accepts expired and not-yet-valid tokens within the clock tolerance', async () => {
    const { authorizer } = standard([k.rs], { clockToleranceSeconds: 30 });
    await expect(
      authorizer.verifyToken(await sign(k.rs, { exp: NOW - 29 })),
    ).resolves.toBeDefined();
    await expect(
      authorizer.verifyToken(await sign(k.rs, { nbf: NOW + 30 })),
    ).resolves.toBeDefined();
  });

  it('records the credential source it was given', async () => {
    const { authorizer } = standard([k.rs]);
    expect((await authorizer.verifyToken(await sign(k.rs), 'cookie')).source).toBe('cookie');
  });
});

describe('verifyToken rejects registered-claim failures with their codes', () => {
  it.each([
    ['expired beyond the tolerance', { exp: NOW - 31 }, 'token_expired'],
    ['expired exactly at the tolerance edge', { exp: NOW - 30 }, 'token_expired'],
    ['not yet valid', { nbf: NOW + 31 }, 'token_not_yet_valid'],
    ['an unknown issuer', { iss: 'https://evil.example/' }, 'issuer_unknown'],
    ['the issuer without its trailing slash', { iss: 'https://issuer.example' }, 'issuer_unknown'],
    ['the issuer in another case', { iss: 'https://ISSUER.example/' }, 'issuer_unknown'],
    ['a missing iss', { iss: undefined }, 'claim_missing'],
    ['a wrong audience', { aud: 'https://other.example' }, 'audience_invalid'],
    ['an audience prefix', { aud: 'https://api.example/extra' }, 'audience_invalid'],
    ['a missing audience', { aud: undefined }, 'audience_invalid'],
    ['an empty audience array', { aud: [] }, 'audience_invalid'],
    ['an audience of the wrong type', { aud: 42 }, 'audience_invalid'],
    ['an audience array with a member of another type', { aud: [AUD, 42] }, 'audience_invalid'],
  ])('rejects %s', async (_, extra, code) => {
    const { authorizer } = standard([k.rs]);
    const claims = validClaims(extra);
    for (const [name, value] of Object.entries(claims))
      if (value === undefined) delete claims[name];
    const token = await signRaw(k.rs, { alg: 'RS256', kid: 'rs-1' }, claims);
    expect(await failure(authorizer.verifyToken(token), token)).toBe(code);
  });

  it('enforces the maximum token age through iat', async () => {
    const { authorizer } = standard([k.rs], { maxTokenAgeSeconds: 600, clockToleranceSeconds: 0 });
    await expect(
      authorizer.verifyToken(await sign(k.rs, { iat: NOW - 600 })),
    ).resolves.toBeDefined();
    expect(await failure(authorizer.verifyToken(await sign(k.rs, { iat: NOW - 601 })))).toBe(
      'token_too_old',
    );
    expect(await failure(authorizer.verifyToken(await sign(k.rs, { iat: NOW + 5 })))).toBe(
      'token_too_old',
    );
    const noIat = validClaims();
    delete noIat.iat;
    expect(
      await failure(
        authorizer.verifyToken(await signRaw(k.rs, { alg: 'RS256', kid: 'rs-1' }, noIat)),
      ),
    ).toBe('claim_missing');
  });

  it('checks typ as RFC 8725 says, including at+jwt', async () => {
    const { authorizer } = standard([k.rs], { typ: 'at+jwt' });
    await expect(
      authorizer.verifyToken(await sign(k.rs, {}, { typ: 'at+jwt' })),
    ).resolves.toBeDefined();
    await expect(
      authorizer.verifyToken(await sign(k.rs, {}, { typ: 'application/at+jwt' })),
    ).resolves.toBeDefined();
    await expect(
      authorizer.verifyToken(await sign(k.rs, {}, { typ: 'AT+JWT' })),
    ).resolves.toBeDefined();
    expect(await failure(authorizer.verifyToken(await sign(k.rs, {}, { typ: 'JWT' })))).toBe(
      'token_type_invalid',
    );
    expect(await failure(authorizer.verifyToken(await sign(k.rs, {}, { typ: undefined })))).toBe(
      'token_type_invalid',
    );
  });

  it('requires the configured claims', async () => {
    const { authorizer } = standard([k.rs], { requiredClaims: ['sub', 'email'] });
    expect(await failure(authorizer.verifyToken(await sign(k.rs)))).toBe('claim_missing');
    await expect(authorizer.verifyToken(await sign(k.rs, { email: 'a@b' }))).resolves.toBeDefined();
  });

  it('rejects a token above maxTokenBytes before decoding it', async () => {
    const { authorizer, keys } = standard([k.rs], {}, { credentials: { maxTokenBytes: 512 } });
    const token = await sign(k.rs, { padding: 'x'.repeat(600) });
    expect(await failure(authorizer.verifyToken(token), token)).toBe('token_too_large');
    expect(keys.lookups).toBe(0);
  });

  it('rejects a token whose payload was changed after signing', async () => {
    const { authorizer } = standard([k.rs]);
    const token = await sign(k.rs);
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify(validClaims({ sub: 'admin' }))).toString('base64url')}.${s}`;
    expect(await failure(authorizer.verifyToken(forged), forged)).toBe('token_signature_invalid');
  });

  it('rejects a token signed by a key that is not published under its kid', async () => {
    const other = await makeKey('RS256', 'rs-1');
    const { authorizer } = standard([k.rs]);
    expect(await failure(authorizer.verifyToken(await sign(other)))).toBe(
      'token_signature_invalid',
    );
  });
});

describe('verifyToken key selection', () => {
  it('rejects a kid that is not in the key set as key_unknown', async () => {
    const { authorizer } = standard([k.rs]);
    expect(await failure(authorizer.verifyToken(await sign(k.rs, {}, { kid: 'nope' })))).toBe(
      'key_unknown',
    );
  });

  it('tries each fitting key when the token names no kid', async () => {
    const { authorizer } = standard([k.ps, k.es, k.rsNoAlg, k.rs]);
    await expect(
      authorizer.verifyToken(await sign(k.rs, {}, { kid: undefined })),
    ).resolves.toMatchObject({ kid: undefined });
  });

  it('refuses to try more than three fitting keys for a token without kid', async () => {
    const extra = await Promise.all([1, 2, 3].map((i) => makeKey('RS256', `x${i}`)));
    const { authorizer } = standard([...extra, k.rs]);
    expect(await failure(authorizer.verifyToken(await sign(k.rs, {}, { kid: undefined })))).toBe(
      'key_unknown',
    );
  });

  it.each([
    ['use enc', { use: 'enc' }],
    ['key_ops without verify', { key_ops: ['encrypt'] }],
    ['key_ops that is not an array', { key_ops: 'verify' }],
    ['an alg other than the header', { alg: 'RS384' }],
    ['a kty other than the alg needs', { kty: 'EC' }],
  ])('skips a published key with %s', async (_, change) => {
    const key = { ...k.rs, publicJwk: { ...k.rs.publicJwk, ...change } } as TestKey;
    const { authorizer } = standard([key]);
    expect(await failure(authorizer.verifyToken(await sign(k.rs)))).toBe('key_unknown');
  });

  it('uses a key whose key_ops include verify, ignoring ext', async () => {
    const key = { ...k.rs, publicJwk: { ...k.rs.publicJwk, key_ops: ['verify'], ext: true } };
    const { authorizer } = standard([key]);
    await expect(authorizer.verifyToken(await sign(k.rs))).resolves.toBeDefined();
  });

  it('passes key_unknown, key_set_unavailable and key_set_invalid from the key source through', async () => {
    const cfg = config({ issuers: [{ issuer: ISS, audiences: AUD }] });
    const token = await sign(k.rs);
    for (const code of ['key_unknown', 'key_set_unavailable', 'key_set_invalid'] as const) {
      const keys: KeySource = {
        getKeys: async () => {
          throw new AuthError(code, 'from the key source', { retryAfterSeconds: 30 });
        },
        hasKey: () => false,
      };
      const verifier = createVerifier(cfg, testRuntime(), keys);
      expect(await failure(verifier.verify(token, 'bearer'))).toBe(code);
    }
  });

  it('fails closed with key_set_unavailable when the key source throws something else', async () => {
    const cfg = config({ issuers: [{ issuer: ISS, audiences: AUD }] });
    const keys: KeySource = {
      getKeys: async () => {
        throw new RangeError('bug');
      },
      hasKey: () => false,
    };
    expect(
      await failure(createVerifier(cfg, testRuntime(), keys).verify(await sign(k.rs), 'bearer')),
    ).toBe('key_set_unavailable');
  });

  it('does not ask the key source for keys of an unknown issuer', async () => {
    const { authorizer, keys } = standard([k.rs]);
    await failure(authorizer.verifyToken(await sign(k.rs, { iss: 'https://evil.example/' })));
    expect(keys.lookups).toBe(0);
  });

  it('verifies tokens of several issuers, each with its own keys', async () => {
    const second = await makeKey('ES256', 'second');
    const other = 'https://second.example';
    const { authorizer } = (await import('./fixtures/setup.ts')).setup(
      {
        issuers: [
          { issuer: ISS, audiences: AUD, jwksUrl: 'https://issuer.example/jwks' },
          {
            issuer: other,
            audiences: 'b',
            jwksUrl: 'https://second.example/jwks',
            algorithms: ['ES256'],
          },
        ],
      },
      { [ISS]: jwks(k.rs), [other]: jwks(second) },
    );
    await expect(authorizer.verifyToken(await sign(k.rs))).resolves.toBeDefined();
    await expect(
      authorizer.verifyToken(await mint(second, { iss: other, aud: 'b' }, { nowMs: NOW * 1000 })),
    ).resolves.toBeDefined();
    // The second issuer's key cannot sign for the first issuer.
    expect(
      await failure(
        authorizer.verifyToken(await mint(second, { iss: ISS, aud: AUD }, { nowMs: NOW * 1000 })),
      ),
    ).toBe('key_unknown');
  });
});
