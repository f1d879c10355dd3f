/**
 * Real inputs from ../shared/realdata, byte-exact: the RFC JWS vectors, the MongoDB test tokens
 * and the Clerk SDK fixtures, each with the key set and fixed clock its file names.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALGORITHMS } from '../../shared/config/defaults.ts';
import { keyFitsAlgorithm } from '../../shared/key-select.ts';
import { verifySignature } from '../../shared/verify.ts';
import { usable } from './fixtures/key-source.ts';
import { realdata, setup } from './fixtures/setup.ts';
import { failure } from './fixtures/tokens.ts';

const read = (file: string) => JSON.parse(readFileSync(path.join(realdata, file), 'utf8'));

interface Vector {
  id: string;
  alg: string;
  jws: string;
  jwk: Record<string, unknown> | null;
  expected: 'valid' | 'invalid';
}

const vectors: Vector[] = read('jose-vectors/rfc-jws-vectors.json').vectors;
const signedAsymmetric = vectors.filter((v) => v.expected === 'valid' && !v.alg.startsWith('HS'));
const symmetric = vectors.filter((v) => v.alg.startsWith('HS'));
const unsecured = vectors.filter((v) => v.alg === 'none');

/** Changes one character in the middle of the signature, so the decoded bytes surely change. */
function tamper(jws: string): string {
  const [h, p, s] = jws.split('.') as [string, string, string];
  const at = Math.floor(s.length / 2);
  const swapped = s[at] === 'A' ? 'B' : 'A';
  return `${h}.${p}.${s.slice(0, at)}${swapped}${s.slice(at + 1)}`;
}

/** A key-set issuer for the RFC 7515 claims (`iss: joe`, `exp: 1300819380`, no `aud`). */
const joe = (keys: object[], nowSeconds: number) =>
  setup(
    { issuers: [{ issuer: 'joe', allowAnyAudience: true, jwksUrl: 'https://joe.example/jwks' }] },
    { joe: { keys } },
    nowSeconds * 1000,
  );

describe('RFC JWS vectors', () => {
  it('covers the nine signed vectors, the symmetric ones and alg none', () => {
    expect(vectors.filter((v) => v.expected === 'valid')).toHaveLength(9);
    expect(symmetric.map((v) => v.id)).toEqual(['rfc7515-A.1-HS256', 'rfc7520-4.4-HS256']);
    expect(unsecured).toHaveLength(1);
  });

  it.each(signedAsymmetric.map((v) => [v.id, v] as const))(
    'verifies the signature of %s with the key chosen by our key selection',
    async (_, vector) => {
      const payload = await verifySignature(vector.jws, DEFAULT_ALGORITHMS, [usable(vector.jwk!)]);
      expect(Buffer.from(payload).toString('base64url')).toBe(vector.jws.split('.')[1]);
    },
  );

  it.each(signedAsymmetric.map((v) => [v.id, v] as const))(
    'rejects %s with one signature character changed',
    async (_, vector) => {
      const promise = verifySignature(tamper(vector.jws), DEFAULT_ALGORITHMS, [
        usable(vector.jwk!),
      ]);
      await expect(promise).rejects.toMatchObject({ code: 'token_signature_invalid' });
    },
  );

  it.each(
    signedAsymmetric
      .filter((v) => !v.jws.split('.')[1]!.startsWith('eyJ'))
      .map((v) => [v.id, v] as const),
  )('rejects %s as a token, because its payload is not a claims set', async (_, vector) => {
    const { authorizer } = joe([vector.jwk!], 1300819300);
    expect(await failure(authorizer.verifyToken(vector.jws), vector.jws)).toBe('token_malformed');
  });

  it.each(['rfc7515-A.2-RS256', 'rfc7515-A.3-ES256'])(
    'accepts %s through the whole path at a clock before its exp, and rejects it after',
    async (id) => {
      const vector = vectors.find((v) => v.id === id)!;
      const before = joe([vector.jwk!], 1300819380 - 60);
      await expect(before.authorizer.verifyToken(vector.jws)).resolves.toMatchObject({
        iss: 'joe',
        kid: undefined,
      });
      const after = joe([vector.jwk!], 1300819380 + 31);
      expect(await failure(after.authorizer.verifyToken(vector.jws))).toBe('token_expired');
    },
  );

  it.each(symmetric.map((v) => [v.id, v] as const))(
    'rejects %s as token_unsupported_algorithm even with its secret in the key set',
    async (_, vector) => {
      const { authorizer, keys } = joe([vector.jwk!], 1300819300);
      expect(await failure(authorizer.verifyToken(vector.jws), vector.jws)).toBe(
        'token_unsupported_algorithm',
      );
      expect(keys.lookups).toBe(0);
      await expect(
        verifySignature(vector.jws, DEFAULT_ALGORITHMS, [usable(vector.jwk!)]),
      ).rejects.toMatchObject({
        code: 'token_unsupported_algorithm',
      });
    },
  );

  it('rejects the unsecured alg none example', async () => {
    const [vector] = unsecured;
    const rsa = vectors.find((v) => v.id === 'rfc7515-A.2-RS256')!.jwk!;
    const { authorizer, keys } = joe([rsa], 1300819300);
    expect(await failure(authorizer.verifyToken(vector!.jws))).toBe('token_unsupported_algorithm');
    expect(keys.lookups).toBe(0);
  });

  it('picks the right key when RFC 7520 publishes an RSA and an EC key under one kid', async () => {
    const rsa = vectors.find((v) => v.id === 'rfc7520-4.1-RS256')!;
    const ec = vectors.find((v) => v.id === 'rfc7520-4.3-ES512')!;
    const both = [usable(rsa.jwk!), usable(ec.jwk!)];
    for (const vector of [rsa, ec, vectors.find((v) => v.id === 'rfc7520-4.2-PS384')!]) {
      await expect(verifySignature(vector.jws, DEFAULT_ALGORITHMS, both)).resolves.toBeInstanceOf(
        Uint8Array,
      );
    }
  });

  it('rejects PS384 from the RFC 7520 key when the allow-list pins RS256', async () => {
    const ps = vectors.find((v) => v.id === 'rfc7520-4.2-PS384')!;
    await expect(verifySignature(ps.jws, ['RS256'], [usable(ps.jwk!)])).rejects.toMatchObject({
      code: 'token_unsupported_algorithm',
    });
  });

  it('refuses the RFC 7517 encryption key and the symmetric keys for any signature', () => {
    const examples = read('jose-vectors/rfc7517-example-keys.json');
    const [encKey, rsaKey] = examples.appendix_a1_jwks.keys.map(usable);
    expect(keyFitsAlgorithm(encKey, 'ES256')).toBe(false);
    expect(keyFitsAlgorithm(rsaKey, 'RS256')).toBe(true);
    expect(keyFitsAlgorithm(rsaKey, 'PS256')).toBe(false);
    for (const oct of examples.appendix_a3_jwks.keys.map(usable)) {
      for (const alg of DEFAULT_ALGORITHMS) expect(keyFitsAlgorithm(oct, alg)).toBe(false);
    }
    expect(keyFitsAlgorithm(usable(examples.appendix_b_jwk), 'RS256')).toBe(true);
  });
});

describe('MongoDB OIDC test tokens', () => {
  const file = read('tokens/mongodb-oidc-test-tokens.json');
  const policy = file.verification_policy;

  const expectedCode: Record<string, string> = {
    'mongodb-user1-expired': 'token_expired',
    'mongodb-user1-not-yet-valid': 'token_not_yet_valid',
    'mongodb-user1-wrong-audience': 'audience_invalid',
    'mongodb-user1-wrong-issuer': 'issuer_unknown',
  };

  // biome-ignore lint/suspicious/noExplicitAny: the token file is JSON read at run time
  const cases: [string, any][] = file.tokens.map((t: { id: string }) => [t.id, t]);

  it('has an expectation for every token', () => {
    for (const token of file.tokens) {
      const accept = token.expected_with_policy === 'accept';
      expect(accept || expectedCode[token.id] !== undefined).toBe(true);
    }
  });

  it.each(cases)('gives %s its expected result at the fixed clock', async (_, token) => {
    const { authorizer } = setup(
      {
        issuers: [
          {
            issuer: policy.issuer,
            audiences: [policy.audience],
            jwksUrl: 'https://test.kernel.mongodb.com/jwks',
          },
        ],
      },
      { [policy.issuer]: read(token.key.jwks_file) },
      token.suggested_fixed_clock_unix * 1000,
    );
    if (token.expected_with_policy === 'accept') {
      const identity = await authorizer.verifyToken(token.token);
      expect(identity).toMatchObject({
        iss: policy.issuer,
        subject: token.claims.sub,
        kid: token.header.kid,
      });
    } else {
      expect(await failure(authorizer.verifyToken(token.token), token.token)).toBe(
        expectedCode[token.id],
      );
    }
  });

  it('rejects the rotated custom-key-3 token against the set before rotation, whose key-3 is 2040 bits', async () => {
    const token = file.tokens.find((t: { id: string }) => t.id === 'mongodb-user3-custom-key-3');
    const { authorizer } = setup(
      {
        issuers: [
          {
            issuer: policy.issuer,
            audiences: [policy.audience],
            jwksUrl: 'https://test.kernel.mongodb.com/jwks',
          },
        ],
      },
      { [policy.issuer]: read('jwks/mongodb-test-custom-keys.json') },
      policy.clock_unix * 1000,
    );
    expect(await failure(authorizer.verifyToken(token.token))).toBe('key_unknown');
  });
});

describe('Clerk SDK fixture tokens', () => {
  const file = read('tokens/clerk-sdk-fixture-tokens.json');
  const byId = (id: string) => file.tokens.find((t: { id: string }) => t.id === id);
  const session = byId('clerk-mockJwt-session-token');
  const tampered = byId('clerk-mockInvalidSignatureJwt');
  const kidless = byId('clerk-signedJwt-keyops-verify-jwk-without-kid');
  const ISS = session.claims.iss;

  const clerk = (keys: { keys: object[] }, nowSeconds: number, parties = [session.claims.azp]) =>
    setup(
      {
        issuers: [
          {
            issuer: ISS,
            provider: 'clerk',
            authorizedParties: parties,
            jwksUrl: `${ISS}/.well-known/jwks.json`,
          },
        ],
      },
      { [ISS]: keys },
      nowSeconds * 1000,
    ).authorizer;

  it('accepts the session token at its fixed clock with its key set', async () => {
    const authorizer = clerk(read(session.key.jwks_file), session.suggested_fixed_clock_unix);
    await expect(authorizer.verifyToken(session.token)).resolves.toMatchObject({
      subject: session.claims.sub,
    });
  });

  it('rejects the session token once it has expired beyond the tolerance', async () => {
    const authorizer = clerk(read(session.key.jwks_file), session.claims.exp + 30);
    expect(await failure(authorizer.verifyToken(session.token))).toBe('token_expired');
  });

  it('rejects the session token when its azp is not an authorized party', async () => {
    const authorizer = clerk(read(session.key.jwks_file), session.suggested_fixed_clock_unix, [
      'https://other.example',
    ]);
    expect(await failure(authorizer.verifyToken(session.token))).toBe('profile_check_failed');
  });

  it('rejects the token with the tampered payload', async () => {
    const authorizer = clerk(read(tampered.key.jwks_file), tampered.suggested_fixed_clock_unix, [
      session.claims.azp,
      tampered.claims.azp,
    ]);
    expect(await failure(authorizer.verifyToken(tampered.token), tampered.token)).toBe(
      'token_signature_invalid',
    );
  });

  it('accepts the locally signed token with the kid-less key_ops key, and rejects it with the instance key', async () => {
    const withKidless = clerk({ keys: [kidless.key.jwk] }, kidless.suggested_fixed_clock_unix);
    await expect(withKidless.verifyToken(kidless.token)).resolves.toMatchObject({
      kid: kidless.header.kid,
    });
    const withInstance = clerk(
      read('jwks/clerk-backend-fixture-jwks.json'),
      kidless.suggested_fixed_clock_unix,
    );
    expect(await failure(withInstance.verifyToken(kidless.token))).toBe('token_signature_invalid');
  });
});

describe('key selection over the providers’ published key sets', () => {
  const usableFor = (file: string, alg: string) =>
    (read(file).keys as Record<string, unknown>[]).filter((jwk) =>
      keyFitsAlgorithm(usable(jwk), alg),
    ).length;

  it.each([
    ['jwks/apple-auth-keys.json', 'RS256', 4],
    ['jwks/auth0-common-jwks.json', 'RS256', 2],
    ['jwks/aws-cognito-userpool-us-east-1_BGU9CKFCM.json', 'RS256', 2],
    ['jwks/clerk-backend-fixture-jwks.json', 'RS256', 1],
    ['jwks/clerk-backend-fixture-jwks-ins_1234-unusual-exponent.json', 'RS256', 1],
    ['jwks/entra-common-discovery-v2.0-keys.json', 'RS256', 8],
    ['jwks/entra-common-discovery-v2.0-keys.json', 'PS256', 8],
    ['jwks/gitlab-com-oauth-discovery-keys.json', 'RS256', 2],
    ['jwks/google-oauth2-v3-certs.json', 'RS256', 2],
    ['jwks/google-oauth2-v3-certs.json', 'PS256', 0],
    ['jwks/keycloak-master-realm-certs.json', 'RS256', 1],
    ['jwks/kubernetes-serviceaccount-issuer-jwks.json', 'RS256', 1],
    ['jwks/mongodb-test-custom-keys.json', 'RS256', 2],
    ['jwks/okta-common-oauth2-v1-keys.json', 'RS256', 2],
    ['jwks/supabase-es256-signing-key.json', 'ES256', 1],
    ['jwks/supabase-es256-signing-key.json', 'ES384', 0],
  ])('finds in %s for %s exactly %i fitting keys', (file, alg, count) => {
    expect(usableFor(file, alg)).toBe(count);
  });

  it('imports every fitting real key for its algorithm', async () => {
    const { importKey } = await import('../../shared/key-select.ts');
    for (const [file, alg] of [
      ['jwks/entra-common-discovery-v2.0-keys.json', 'RS256'],
      ['jwks/supabase-es256-signing-key.json', 'ES256'],
      ['jwks/clerk-backend-fixture-jwks-ins_1234-unusual-exponent.json', 'RS256'],
      ['jwks/auth0-common-jwks.json', 'RS256'],
    ] as const) {
      for (const jwk of read(file).keys as Record<string, unknown>[]) {
        const key = usable(jwk);
        if (!keyFitsAlgorithm(key, alg)) continue;
        await expect(importKey(key, alg)).resolves.toHaveProperty('type', 'public');
      }
    }
  });
});
