/**
 * The principal of an IAM answer and the errors that stand for 401 and 500.
 */
import { describe, expect, it } from 'vitest';
import { AuthorizerFailure, principalIdOf, unauthorized } from '../../lambda/responses.ts';
import type { Identity, IssuerConfig } from '../../shared/types.ts';

function identity(provider: string, issuer: string, payload: Record<string, unknown>): Identity {
  return {
    issuer: { provider, issuer } as unknown as IssuerConfig,
    iss: issuer,
    subject: typeof payload.sub === 'string' ? payload.sub : undefined,
    payload,
  } as unknown as Identity;
}

const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

describe('principalIdOf', () => {
  it('uses the subject for a single-tenant issuer', () => {
    expect(
      principalIdOf(identity('auth0', 'https://t.auth0.com/', { sub: 'auth0|1', tid: 'x' })),
    ).toBe('auth0|1');
  });

  it('qualifies the subject with the tenant for Entra', () => {
    const entra = identity('entra', 'https://login.microsoftonline.com/{tenantid}/v2.0', {
      sub: 'abc',
      tid: TENANT,
    });

    expect(principalIdOf(entra)).toBe(`${TENANT}:abc`);
  });

  it('qualifies the subject for any issuer written as a tenant template', () => {
    const templated = identity('generic', 'https://idp.example/{tenantid}/', {
      sub: 's',
      tid: 't1',
    });

    expect(principalIdOf(templated)).toBe('t1:s');
  });

  it('falls back to client_id, then azp, then anonymous when there is no subject', () => {
    expect(principalIdOf(identity('cognito', 'https://c', { client_id: 'app' }))).toBe('app');
    expect(principalIdOf(identity('clerk', 'https://c', { azp: 'https://a' }))).toBe('https://a');
    expect(principalIdOf(identity('generic', 'https://c', { sub: '' }))).toBe('anonymous');
  });
});

describe('authorizer errors', () => {
  it('spells the 401 error exactly Unauthorized and every failure differently', () => {
    expect(unauthorized().message).toBe('Unauthorized');
    for (const reason of [
      'config_error',
      'event_invalid',
      'key_set_unavailable',
      'internal',
    ] as const) {
      const failure = new AuthorizerFailure(reason);
      expect(failure.message).not.toBe('Unauthorized');
      expect(failure.reason).toBe(reason);
    }
  });
});
