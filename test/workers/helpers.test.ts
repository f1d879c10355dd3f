/**
 * The Worker's pure helpers, run directly: challenge quoting (RFC 6750 §3, RFC 9110 §5.6.4),
 * identity header values, query-credential removal, the KV snapshot format and lifetime, and
 * the `ORIGIN_URL` check. The HTTP behaviour is tested in workerd by the other files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load.ts';
import { AUTH_ERROR_CODES, ConfigError } from '../../shared/errors.ts';
import { parseSnapshot } from '../../shared/jwks/store-tier.ts';
import { bearerChallenge, describe as describeCode, quote } from '../../workers/challenge.ts';
import { headerValue, originTarget, withoutQueryParameter } from '../../workers/forward.ts';
import { parseOriginUrl } from '../../workers/gate.ts';
import { expirationTtlSeconds, kvKey } from '../../workers/kv-store.ts';
import { ROOT } from './harness.ts';

describe('wrangler.toml', () => {
  const toml = parseToml(readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8')) as {
    main: string;
    vars: Record<string, unknown>;
    kv_namespaces: { binding: string }[];
    triggers: { crons: string[] };
  };

  it('ships example vars that the gate accepts as a configuration', () => {
    const config = loadConfig(toml.vars);

    expect(config.issuers[0]?.issuer).toBe(toml.vars.JWT_ISSUER);
    expect(config.routes.length).toBeGreaterThan(0);
    expect(parseOriginUrl(toml.vars.ORIGIN_URL)).toBeInstanceOf(URL);
  });

  it('binds JWKS_CACHE and a cron trigger for the Worker entry point', () => {
    expect(toml.main).toBe('workers/index.ts');
    expect(toml.kv_namespaces.map((kv) => kv.binding)).toEqual(['JWKS_CACHE']);
    expect(toml.triggers.crons.length).toBeGreaterThan(0);
  });
});

describe('challenges', () => {
  it('escapes quotes and backslashes and drops controls in a quoted-string', () => {
    expect(quote('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
    expect(quote('line\r\nbreak\u00e9')).toBe('"linebreak"');
  });

  it('sends only the realm when there is no error code (RFC 6750 §3.1)', () => {
    expect(bearerChallenge('api')).toBe('Bearer realm="api"');
  });

  it('drops scope tokens that would need escaping', () => {
    const challenge = bearerChallenge('api', {
      error: 'insufficient_scope',
      code: 'insufficient_scope',
      scopes: ['read', 'bad"scope', 'write:all'],
    });
    expect(challenge).toContain('scope="read write:all"');
  });

  it('has a printable fixed description for every reason code', () => {
    for (const code of AUTH_ERROR_CODES) {
      expect(describeCode(code)).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
    }
  });
});

describe('identity header values', () => {
  it('passes plain printable ASCII strings as they are and JSON-encodes everything else', () => {
    expect(headerValue('user-1')).toBe('user-1');
    expect(headerValue(42)).toBe('42');
    expect(headerValue(true)).toBe('true');
    expect(headerValue(['a', 'b'])).toBe('["a","b"]');
    expect(headerValue('é\n')).toBe('"\\u00e9\\n"');
  });

  it('leaves out null, undefined and oversized values', () => {
    expect(headerValue(null)).toBeUndefined();
    expect(headerValue(undefined)).toBeUndefined();
    expect(headerValue('x'.repeat(5000))).toBeUndefined();
  });

  it('quotes a value whose spaces at the ends Headers would trim', () => {
    expect(headerValue(' admin ')).toBe('" admin "');
  });

  it('JSON-encodes an empty string and strings that start like a JSON encoding', () => {
    expect(headerValue('')).toBe('""');
    expect(headerValue('"a\\nb"')).toBe('"\\"a\\\\nb\\""');
    expect(headerValue('["admin"]')).toBe('"[\\"admin\\"]"');
    expect(headerValue('{"a":1}')).toBe('"{\\"a\\":1}"');
    expect(headerValue('a "quoted" [word]')).toBe('a "quoted" [word]');
  });
});

describe('origin targets', () => {
  it('removes every copy of the credential parameter and keeps the rest byte for byte', () => {
    expect(withoutQueryParameter('?a=%20&token=x&b=c+d&token=y', 'token')).toBe('?a=%20&b=c+d');
    expect(withoutQueryParameter('?token=x', 'token')).toBe('');
    expect(withoutQueryParameter('?to%6Ben=x&z=1', 'token')).toBe('?z=1');
    expect(withoutQueryParameter('?%E0%A4%A=1', 'token')).toBe('?%E0%A4%A=1');
  });

  it('prefixes the request path with the path of ORIGIN_URL', () => {
    const request = new URL('https://gate.example/a/b?q=1');
    expect(originTarget(request, new URL('https://origin.example/base/'))).toBe(
      'https://origin.example/base/a/b?q=1',
    );
    expect(originTarget(request, undefined)).toBe('https://gate.example/a/b?q=1');
  });

  it('rejects an ORIGIN_URL that is blank, relative, not http(s) or carries a query', () => {
    for (const bad of [
      '',
      '  ',
      'origin.example',
      'ftp://origin.example',
      'https://o.example/?a=1',
      42,
    ]) {
      expect(() => parseOriginUrl(bad)).toThrow(ConfigError);
    }
    expect(parseOriginUrl(undefined)).toBeUndefined();
    expect(parseOriginUrl('https://origin.example/v1')?.pathname).toBe('/v1');
  });
});

describe('KV snapshots', () => {
  const snapshot = { keys: [{ kty: 'RSA' }], fetchedAt: 1_000, freshUntil: 601_000, etag: '"e"' };

  it('reads back what it writes and refuses other shapes', () => {
    expect(parseSnapshot(JSON.parse(JSON.stringify(snapshot)))).toEqual(snapshot);
    // A discovered set keeps the address and the issuer it was discovered for.
    const discovered = { ...snapshot, jwksUrl: 'https://a.example/k', issuer: 'https://a.example' };
    expect(parseSnapshot(JSON.parse(JSON.stringify(discovered)))).toEqual(discovered);
    expect(parseSnapshot({ keys: 'x', fetchedAt: 1, freshUntil: 2 })).toBeUndefined();
    expect(parseSnapshot({ keys: [1], fetchedAt: 1, freshUntil: 2 })).toBeUndefined();
    expect(parseSnapshot({ keys: [], fetchedAt: '1', freshUntil: 2 })).toBeUndefined();
    expect(parseSnapshot(null)).toBeUndefined();
  });

  it('refuses a snapshot whose address or issuer is not a string, rather than dropping them', () => {
    // Dropped, a foreign address would read as "the configured address" to the cache.
    expect(parseSnapshot({ ...snapshot, jwksUrl: 5 })).toBeUndefined();
    expect(parseSnapshot({ ...snapshot, issuer: ['https://a.example'] })).toBeUndefined();
    // A validator of another type only costs a conditional request: left out, snapshot kept.
    const numberEtag = parseSnapshot({ ...snapshot, etag: 5 });
    expect(numberEtag?.freshUntil).toBe(601_000);
    expect(numberEtag).not.toHaveProperty('etag');
  });

  it('keeps a snapshot for twice its fresh life plus the stale window, at least 60 s', () => {
    expect(expirationTtlSeconds(snapshot, 3600)).toBe(2 * 600 + 3600);
    expect(expirationTtlSeconds({ ...snapshot, freshUntil: 1_000 }, 0)).toBe(60);
  });

  it('hashes key-set addresses too long for a KV key', async () => {
    expect(await kvKey('https://a.example/jwks')).toBe('jwks:v1:https://a.example/jwks');
    const long = await kvKey(`https://a.example/${'x'.repeat(600)}`);
    expect(long).toMatch(/^jwks:v1:sha256:[0-9a-f]{64}$/);
  });
});
