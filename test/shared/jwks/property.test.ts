/**
 * Property tests: whatever a provider serves, parsing ends in a key set or `key_set_invalid`,
 * never another exception; whatever caching headers it sends, freshness stays within bounds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../../shared/errors.ts';
import { freshnessOf } from '../../../shared/jwks/freshness.ts';
import { parseKeySetDocument } from '../../../shared/jwks/parse.ts';
import { classifyKey } from '../../../shared/jwks/usable.ts';
import { POLICY, realFile } from './support.ts';

const realKeys = JSON.parse(realFile('jwks/keycloak-master-realm-certs.json')).keys as Record<
  string,
  unknown
>[];

/** A JWK-ish object: real members mixed with arbitrary ones. */
const jwkLike = fc
  .record(
    {
      kty: fc.oneof(fc.constantFrom('RSA', 'EC', 'OKP', 'oct', 'AKP', ''), fc.anything()),
      kid: fc.oneof(fc.string(), fc.anything()),
      use: fc.oneof(fc.constantFrom('sig', 'enc'), fc.anything()),
      alg: fc.oneof(fc.constantFrom('RS256', 'ES256', 'EdDSA', 'RSA-OAEP', 'none'), fc.anything()),
      crv: fc.oneof(fc.constantFrom('P-256', 'P-384', 'P-521', 'Ed25519', 'Ed448'), fc.string()),
      n: fc.oneof(fc.base64String(), fc.string(), fc.constant(realKeys[0]?.n)),
      e: fc.oneof(fc.constantFrom('AQAB', 'AA', ''), fc.string()),
      x: fc.oneof(fc.base64String(), fc.string()),
      y: fc.oneof(fc.base64String(), fc.string()),
      key_ops: fc.oneof(fc.constant(['verify']), fc.anything()),
    },
    { requiredKeys: [] },
  )
  .map((jwk) => ({ ...jwk }));

const documents = fc.oneof(
  fc.record({ keys: fc.array(fc.oneof(jwkLike, fc.anything()), { maxLength: 6 }) }),
  fc.record({ keys: fc.anything() }),
  fc.anything(),
  fc.jsonValue(),
  fc.dictionary(fc.string(), fc.string()),
);

describe('parsing any document', () => {
  it('ends in usable keys or key_set_invalid, never another error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          documents.map((d) => JSON.stringify(d) ?? ''),
          fc.string(),
        ),
        (body) => {
          try {
            const parsed = parseKeySetDocument(body, 'application/json', 'https://x.example/jwks');
            expect(parsed.keys.length).toBeGreaterThan(0);
            for (const key of parsed.keys) expect(typeof key.kty).toBe('string');
          } catch (error) {
            expect(error).toBeInstanceOf(AuthError);
            expect((error as AuthError).code).toBe('key_set_invalid');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('classifies any key without throwing, and never keeps enc, oct or private keys', () => {
    fc.assert(
      fc.property(fc.oneof(jwkLike, fc.anything()), (entry) => {
        const verdict = classifyKey(entry);
        if (!verdict.usable) return;
        const jwk = verdict.key.jwk;
        expect(jwk.use === undefined || jwk.use === 'sig').toBe(true);
        expect(['RSA', 'EC', 'OKP']).toContain(jwk.kty);
        expect('d' in jwk || 'k' in jwk).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('freshness for any caching headers', () => {
  const headerValue = fc.oneof(
    fc.string(),
    fc.constantFrom('no-cache', 'max-age=0', 'max-age=60', 'public, max-age=31536000', 'no-store'),
    fc.integer().map((n) => `max-age=${n}`),
    fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
  );

  it('stays within the configured bounds', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            'cache-control': headerValue,
            expires: headerValue,
            date: headerValue,
            age: headerValue,
          },
          { requiredKeys: [] },
        ),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (headers, now) => {
          let parsed: Headers;
          try {
            parsed = new Headers(headers);
          } catch {
            // Not a valid header value: no response could carry it.
            return;
          }
          const fresh = freshnessOf(parsed, now, POLICY);
          expect(fresh.lifetimeSeconds).toBeGreaterThanOrEqual(POLICY.minMaxAgeSeconds);
          expect(fresh.lifetimeSeconds).toBeLessThanOrEqual(POLICY.maxMaxAgeSeconds);
          expect(fresh.freshUntil).toBe(now + fresh.lifetimeSeconds * 1000);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
