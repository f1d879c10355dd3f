/**
 * The answers API Gateway accepts from an authorizer, and the errors that stand for the others.
 *
 * - An IAM answer (`principalId`, `policyDocument`, `context`) for REST APIs and HTTP APIs with
 *   IAM responses.
 * - A simple answer (`isAuthorized`, `context`) for HTTP API payload 2.0 with simple responses.
 * - `Unauthorized`: an error with exactly that message makes API Gateway answer 401. It is the
 *   only way to get a 401 from a REST authorizer; any other message, like the ones of
 *   {@link AuthorizerFailure}, makes it answer 500, which is how the authorizer fails closed when
 *   it cannot decide (no key set, a configuration error).
 *
 * Never `null` and never an HTTP-response-shaped object: API Gateway turns both into a 500 for
 * the client that tells nobody anything.
 */
import type { Identity } from '../shared/types.ts';
import type { ContextValue } from './context.ts';
import type { PolicyDocument } from './policy.ts';

/** The IAM answer. */
export interface IamResponse {
  readonly principalId: string;
  readonly policyDocument: PolicyDocument;
  readonly context: Readonly<Record<string, ContextValue>>;
}

/** The simple answer of HTTP API payload 2.0. */
export interface SimpleResponse {
  readonly isAuthorized: boolean;
  readonly context?: Readonly<Record<string, ContextValue>>;
}

/** The message API Gateway maps to 401, and nothing else. */
export const UNAUTHORIZED = 'Unauthorized';

/** The one error that means 401. */
export function unauthorized(): Error {
  return new Error(UNAUTHORIZED);
}

/** Why the authorizer could not decide; API Gateway answers 500 for every one of them. */
export type FailureReason = 'config_error' | 'event_invalid' | 'key_set_unavailable' | 'internal';

const FAILURE_MESSAGES: { readonly [R in FailureReason]: string } = {
  config_error: 'Authorizer configuration error',
  event_invalid: 'Invalid authorizer event',
  key_set_unavailable: 'Key set unavailable',
  internal: 'Authorizer failure',
};

/** An error that is deliberately not `Unauthorized`: the authorizer fails closed with a 500. */
export class AuthorizerFailure extends Error {
  override readonly name = 'AuthorizerFailure';
  readonly reason: FailureReason;

  constructor(reason: FailureReason) {
    super(FAILURE_MESSAGES[reason]);
    this.reason = reason;
  }
}

/**
 * The `principalId` of a token: its `sub`. For Entra, where one issuer template serves every
 * tenant and a `sub` is only unique within its tenant, it is qualified as `{tid}:{sub}`. A token
 * without `sub` (some client-credential tokens) falls back to `client_id`, then `azp`, then
 * `anonymous`: API Gateway requires a non-empty principal, and the policy, not the principal,
 * carries the decision.
 */
export function principalIdOf(identity: Identity): string {
  const payload = identity.payload;
  const subject =
    nonEmpty(identity.subject) ??
    nonEmpty(payload.sub) ??
    nonEmpty(payload.client_id) ??
    nonEmpty(payload.azp) ??
    'anonymous';
  const tenant = nonEmpty(payload.tid);
  const multiTenant =
    identity.issuer.provider === 'entra' || identity.issuer.issuer.includes('{tenantid}');
  return multiTenant && tenant !== undefined ? `${tenant}:${subject}` : subject;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
