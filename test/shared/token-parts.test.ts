import { describe, expect, it } from 'vitest';
import { AuthError, type AuthErrorCode } from '../../shared/errors.ts';
import { readHeader, readPayload, readToken } from '../../shared/token-parts.ts';
import { b64url, rawToken } from '../fixtures/keys.ts';

function codeOf(fn: () => unknown): AuthErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return (error as AuthError).code;
  }
}

const claims = { iss: 'https://issuer.example/', exp: 2_000_000_000 };

describe('readHeader', () => {
  it('returns alg and kid of a well-formed header', () => {
    expect(readHeader(rawToken({ alg: 'ES256', kid: 'k' }, claims, 'c2ln'))).toMatchObject({
      alg: 'ES256',
      kid: 'k',
    });
  });

  it.each([
    [{ alg: 'RS256', jwk: {} }, 'token_header_rejected'],
    [{ alg: 'RS256', x5c: [] }, 'token_header_rejected'],
    [{ alg: 'RS256', crit: [] }, 'token_header_rejected'],
    [{ alg: 'HS512' }, 'token_unsupported_algorithm'],
    [{ alg: 'none' }, 'token_unsupported_algorithm'],
    [{ alg: 42 }, 'token_malformed'],
    [{ alg: '' }, 'token_malformed'],
    [{}, 'token_malformed'],
    [{ alg: 'RS256', kid: 1 }, 'token_malformed'],
    [{ alg: 'RS256', b64: false }, 'token_header_rejected'],
    [{ alg: 'RS256', b64: 'false' }, 'token_header_rejected'],
    [{ alg: 'RS256', zip: 'DEF' }, 'token_header_rejected'],
    [{ alg: 'RS256', enc: 'A128GCM' }, 'token_header_rejected'],
  ])('rejects header %j with %s', (header, code) => {
    expect(codeOf(() => readHeader(rawToken(header, claims, 'c2ln')))).toBe(code);
  });

  it('accepts b64 true, which changes nothing (RFC 7797 §3)', () => {
    expect(readHeader(rawToken({ alg: 'RS256', b64: true }, claims, 'c2ln')).alg).toBe('RS256');
  });

  it('checks key material before the algorithm, so an HS256 header with jwk is a header rejection', () => {
    expect(codeOf(() => readHeader(rawToken({ alg: 'HS256', jwk: {} }, claims, 'c2ln')))).toBe(
      'token_header_rejected',
    );
  });

  it('rejects a missing signature only after the algorithm, so alg none is reported as such', () => {
    expect(codeOf(() => readHeader(rawToken({ alg: 'none' }, claims, '')))).toBe(
      'token_unsupported_algorithm',
    );
    expect(codeOf(() => readHeader(rawToken({ alg: 'RS256' }, claims, '')))).toBe(
      'token_malformed',
    );
  });
});

describe('readPayload', () => {
  it.each([
    [{ iss: 'x' }, 'token_expired'],
    [{ exp: 1 }, 'claim_missing'],
    [{ iss: 1, exp: 1 }, 'token_malformed'],
    [{ iss: 'x', exp: '1' }, 'token_malformed'],
    [{ iss: 'x', exp: 1, nbf: null }, 'token_malformed'],
    [{ iss: 'x', exp: 1, sub: {} }, 'token_malformed'],
    [{ iss: 'x', exp: 1, aud: 5 }, 'audience_invalid'],
    [{ iss: 'x', exp: 1, aud: ['a', 5] }, 'audience_invalid'],
    [{ iss: 'x', exp: 1, aud: { a: 'a' } }, 'audience_invalid'],
  ])('rejects claims %j with %s', (payload, code) => {
    expect(codeOf(() => readPayload(rawToken({ alg: 'RS256' }, payload, 'c2ln')))).toBe(code);
  });

  it('rejects a payload segment that is not a JSON object', () => {
    const token = `${b64url('{"alg":"RS256"}')}.${b64url('[]')}.c2ln`;
    expect(codeOf(() => readPayload(token))).toBe('token_malformed');
  });

  it('decodes UTF-8 claims and a UTF-8 byte order mark as jose does', () => {
    const sub = 'Zoë 日本';
    expect(readToken(rawToken({ alg: 'RS256' }, { ...claims, sub }, 'c2ln')).payload.sub).toBe(sub);
    const bom = b64url(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(JSON.stringify(claims))]));
    expect(readToken(`${b64url('{"alg":"RS256"}')}.${bom}.c2ln`).payload).toEqual(claims);
  });

  it.each([
    ['claims', (bad: string) => `${b64url('{"alg":"RS256"}')}.${bad}.c2ln`],
    ['header', (bad: string) => `${bad}.${b64url(JSON.stringify(claims))}.c2ln`],
  ])('rejects %s that are not well-formed UTF-8', (_, token) => {
    const bad = b64url(new Uint8Array([...Buffer.from('{"alg":"RS256","x":"'), 0xff, 0x22, 0x7d]));
    expect(codeOf(() => readToken(token(bad)))).toBe('token_malformed');
  });

  it('rejects a segment whose base64url length cannot be decoded', () => {
    expect(codeOf(() => readToken(`${b64url('{"alg":"RS256"}')}.eyJpc3MiOiJ4In0AA.c2ln`))).toBe(
      'token_malformed',
    );
  });

  it('reads header and claims together', () => {
    expect(readToken(rawToken({ alg: 'RS256' }, claims, 'c2ln'))).toMatchObject({
      alg: 'RS256',
      kid: undefined,
      payload: claims,
    });
  });
});
