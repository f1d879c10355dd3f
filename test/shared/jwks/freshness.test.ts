import { describe, expect, it } from 'vitest';
import { freshnessOf, retryAfterSeconds } from '../../../shared/jwks/freshness.ts';
import { parseHttpDate } from '../../../shared/jwks/http-date.ts';
import { POLICY, realFile } from './support.ts';

const NOW = Date.parse('Sat, 12 Nov 2022 19:58:26 GMT');

/** The captured provider headers, by fixture name. */
const captured = JSON.parse(realFile('jwks/_http-response-headers.json')) as Record<
  string,
  { headers?: [string, string][] }
>;

function headersOf(name: string): Headers {
  const entry = captured[name];
  if (!entry?.headers) throw new Error(`no headers for ${name}`);
  return new Headers(entry.headers);
}

function lifetime(headers: HeadersInit, now = NOW) {
  return freshnessOf(new Headers(headers), now, POLICY);
}

describe('freshness from real provider headers', () => {
  it('raises Auth0 max-age=15 to the lower bound and ignores its stale-if-error', () => {
    const fresh = freshnessOf(headersOf('auth0_jwks'), NOW, POLICY);

    expect(fresh.source).toBe('max-age');
    expect(fresh.lifetimeSeconds).toBe(POLICY.minMaxAgeSeconds);
    expect(fresh.freshUntil).toBe(NOW + POLICY.minMaxAgeSeconds * 1000);
  });

  it('clamps the Okta max-age of 44 days to the upper bound, ignoring Expires', () => {
    const fresh = freshnessOf(headersOf('okta_jwks'), NOW, POLICY);

    expect(fresh.source).toBe('max-age');
    expect(fresh.lifetimeSeconds).toBe(POLICY.maxMaxAgeSeconds);
  });

  it('treats Keycloak no-cache as the lower bound, never as a fetch per request', () => {
    const fresh = freshnessOf(headersOf('keycloak_jwks'), NOW, POLICY);

    expect(fresh.source).toBe('no-cache');
    expect(fresh.lifetimeSeconds).toBe(POLICY.minMaxAgeSeconds);
  });

  it('treats the Keycloak discovery no-store header as the lower bound', () => {
    expect(freshnessOf(headersOf('keycloak_discovery'), NOW, POLICY).lifetimeSeconds).toBe(
      POLICY.minMaxAgeSeconds,
    );
  });

  it('uses the Auth0 discovery headers the same way as its key set', () => {
    expect(freshnessOf(headersOf('auth0_discovery'), NOW, POLICY).lifetimeSeconds).toBe(
      POLICY.minMaxAgeSeconds,
    );
  });
});

describe('freshness rules', () => {
  it('uses max-age within the bounds as given', () => {
    expect(lifetime({ 'cache-control': 'public, max-age=900' })).toMatchObject({
      lifetimeSeconds: 900,
      source: 'max-age',
    });
  });

  it('treats max-age=0 like no-cache', () => {
    expect(lifetime({ 'cache-control': 'max-age=0' })).toMatchObject({
      lifetimeSeconds: POLICY.minMaxAgeSeconds,
      source: 'no-cache',
    });
  });

  it('lets no-cache win over a max-age in the same header', () => {
    expect(lifetime({ 'cache-control': 'max-age=3600, no-cache' }).source).toBe('no-cache');
  });

  it('reads directive names case-insensitively and quoted values', () => {
    expect(lifetime({ 'cache-control': 'Max-Age="1200"' }).lifetimeSeconds).toBe(1200);
  });

  it('subtracts the Age a CDN reports from max-age', () => {
    expect(lifetime({ 'cache-control': 'max-age=1000', age: '300' }).lifetimeSeconds).toBe(700);
  });

  it('ignores s-maxage and uses max-age', () => {
    expect(lifetime({ 'cache-control': 's-maxage=7200, max-age=900' }).lifetimeSeconds).toBe(900);
  });

  it('treats a malformed max-age as stale, raised to the lower bound', () => {
    for (const value of ['max-age=soon', 'max-age=-1', 'max-age=1.5', 'max-age']) {
      expect(lifetime({ 'cache-control': value })).toMatchObject({
        lifetimeSeconds: POLICY.minMaxAgeSeconds,
        source: 'no-cache',
      });
    }
  });

  it('clamps an absurdly long max-age to the upper bound', () => {
    expect(lifetime({ 'cache-control': 'max-age=99999999999999' }).lifetimeSeconds).toBe(
      POLICY.maxMaxAgeSeconds,
    );
  });

  it('uses the first of repeated max-age directives', () => {
    expect(lifetime({ 'cache-control': 'max-age=900, max-age=30' }).lifetimeSeconds).toBe(900);
  });

  it('uses Expires minus Date when there is no max-age', () => {
    const headers = {
      date: 'Sat, 12 Nov 2022 19:58:26 GMT',
      expires: 'Sat, 12 Nov 2022 20:18:26 GMT',
    };
    expect(lifetime(headers)).toMatchObject({ lifetimeSeconds: 1200, source: 'expires' });
  });

  it('uses the receive time for Expires when Date is absent', () => {
    expect(lifetime({ expires: new Date(NOW + 900_000).toUTCString() }).lifetimeSeconds).toBe(900);
  });

  it('treats an Expires that is a number, not an HTTP-date, as already expired', () => {
    for (const expires of ['3600', '-1', '1.5', '2030', '0x10']) {
      const fresh = lifetime({ expires, date: 'Sat, 12 Nov 2022 19:58:26 GMT' });

      expect(fresh.source).toBe('expires');
      expect(fresh.lifetimeSeconds).toBe(POLICY.minMaxAgeSeconds);
    }
  });

  it('reads Expires in the two obsolete HTTP-date forms as well', () => {
    const rfc850 = lifetime({ expires: 'Saturday, 12-Nov-22 20:28:26 GMT' });
    const asctime = lifetime({ expires: 'Sat Nov 12 20:28:26 2022' });

    expect(rfc850.lifetimeSeconds).toBe(1800);
    expect(asctime.lifetimeSeconds).toBe(1800);
  });

  it('measures Expires from a provider Date that is hours off our clock', () => {
    const fresh = lifetime(
      { date: 'Sat, 12 Nov 2022 09:00:00 GMT', expires: 'Sat, 12 Nov 2022 09:15:00 GMT' },
      NOW,
    );

    expect(fresh.lifetimeSeconds).toBe(900);
    expect(fresh.freshUntil).toBe(NOW + 900_000);
  });

  it('treats an invalid Expires as already expired', () => {
    expect(lifetime({ expires: '0' }).lifetimeSeconds).toBe(POLICY.minMaxAgeSeconds);
  });

  it('uses the default when the response has no caching headers', () => {
    expect(lifetime({})).toMatchObject({
      lifetimeSeconds: POLICY.defaultMaxAgeSeconds,
      source: 'default',
    });
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds', () => {
    expect(retryAfterSeconds(new Headers({ 'retry-after': '120' }), NOW)).toBe(120);
  });

  it('reads an HTTP-date relative to now', () => {
    const at = new Date(NOW + 90_000).toUTCString();
    expect(retryAfterSeconds(new Headers({ 'retry-after': at }), NOW)).toBe(90);
  });

  it('returns undefined when absent or unparseable', () => {
    expect(retryAfterSeconds(new Headers(), NOW)).toBeUndefined();
    expect(retryAfterSeconds(new Headers({ 'retry-after': 'later' }), NOW)).toBeUndefined();
  });

  it('returns undefined for a negative or fractional delay, never reading it as a date', () => {
    for (const value of ['-1', '-120', '1.5', '+5', '0x10']) {
      expect(retryAfterSeconds(new Headers({ 'retry-after': value }), NOW)).toBeUndefined();
    }
  });

  it('returns 0 for an HTTP-date already past', () => {
    const at = new Date(NOW - 3_600_000).toUTCString();
    expect(retryAfterSeconds(new Headers({ 'retry-after': at }), NOW)).toBe(0);
  });
});

describe('HTTP-date', () => {
  it('reads the three forms of RFC 9110 §5.6.7 to the same instant', () => {
    const at = Date.UTC(1994, 10, 6, 8, 49, 37);

    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(at);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(at);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994', NOW)).toBe(at);
  });

  it('places a two-digit year no more than 50 years ahead', () => {
    expect(parseHttpDate('Monday, 01-Jan-70 00:00:00 GMT', NOW)).toBe(Date.UTC(2070, 0, 1));
    expect(parseHttpDate('Tuesday, 01-Jan-80 00:00:00 GMT', NOW)).toBe(Date.UTC(1980, 0, 1));
  });

  it('refuses numbers, other date formats and days that do not exist', () => {
    for (const value of [
      '0',
      '3600',
      '-1',
      '2022-11-12T19:58:26Z',
      'Sat, 12 Nov 2022 19:58:26 +0000',
      'Sat, 31 Feb 2022 19:58:26 GMT',
      'Sat, 12 Nov 2022 24:00:00 GMT',
      'Sat, 12 Foo 2022 19:58:26 GMT',
      '',
    ]) {
      expect(parseHttpDate(value, NOW)).toBeUndefined();
    }
    expect(parseHttpDate(null, NOW)).toBeUndefined();
  });
});
