/**
 * One authorizer invocation: event in, answer out, one log line. This is the only place that
 * maps the core's outcomes to what API Gateway understands (DESIGN.md, "Lambda answers"):
 *
 * | core outcome                         | IAM answer                          | simple answer           |
 * |--------------------------------------|-------------------------------------|-------------------------|
 * | token verified                       | policy for the whole API + context  | `isAuthorized: true`    |
 * | verified, route requirement unmet    | same policy: Deny for that route    | `isAuthorized: false`   |
 * | no, malformed or invalid credential  | throw `Unauthorized` (401)          | `isAuthorized: false`   |
 * | key set unavailable or invalid       | throw another error (500)           | same                    |
 * | configuration error, foreign event   | throw another error (500)           | same                    |
 */
import { AuthError, outcomeOf } from '../shared/errors.ts';
import { checkRequirement, heldRules } from '../shared/routes.ts';
import type { AuthConfig, Identity, RouteRule } from '../shared/types.ts';
import { buildContext } from './context.ts';
import { type NormalizedEvent, normalizeEvent } from './events.ts';
import { type DecisionLog, logDecision } from './log.ts';
import { type CompiledPolicy, compilePolicy, connectPolicy } from './policy.ts';
import {
  AuthorizerFailure,
  type IamResponse,
  principalIdOf,
  type SimpleResponse,
  unauthorized,
} from './responses.ts';
import type { ReadyState, State } from './state.ts';

/** Any answer of the handler (failures are thrown). */
export type AuthorizerResponse = IamResponse | SimpleResponse;

type LogFields = Omit<DecisionLog, 'durationMs'>;

/**
 * Decides one event. Resolves with the answer or rejects with `Error('Unauthorized')` or an
 * {@link AuthorizerFailure}; never resolves with `null` or anything else.
 */
export async function handleEvent(state: State, event: unknown): Promise<AuthorizerResponse> {
  const started = performance.now();
  const finish = (fields: LogFields) =>
    logDecision({ ...fields, durationMs: Math.round((performance.now() - started) * 100) / 100 });

  if (state.kind === 'broken') {
    finish({ outcome: 'error', code: 'config_error', event: kindOf(event) });
    throw new AuthorizerFailure('config_error');
  }

  let normalized: NormalizedEvent;
  try {
    normalized = normalizeEvent(event, credentialHeader(state.config));
  } catch {
    finish({ outcome: 'error', code: 'event_invalid', event: kindOf(event) });
    throw new AuthorizerFailure('event_invalid');
  }

  const simple = state.settings.responseMode === 'simple' && normalized.kind === 'http-v2';
  const base = {
    event: normalized.kind,
    response: simple ? 'simple' : 'iam',
    route:
      normalized.arn.websocketRoute ?? `${normalized.request.method} ${normalized.request.path}`,
  };
  try {
    return simple
      ? await answerSimple(state, normalized, base, finish)
      : await answerIam(state, normalized, base, finish);
  } catch (error) {
    throw failure(error, base, finish);
  }
}

/** IAM answer: verify the credential, then compile the policy from all rules (C20). */
async function answerIam(
  state: ReadyState,
  normalized: NormalizedEvent,
  base: Pick<LogFields, 'event' | 'response' | 'route'>,
  finish: (fields: LogFields) => void,
): Promise<IamResponse> {
  const { config, authorizer } = state;
  const { request, arn } = normalized;
  // Every reading of method and path (see `heldRules`); the query parameter only when they agree.
  const held = heldRules(config.routes, request);
  const rule = held[0];
  const sameParameter = held.every((r) => r?.queryParameter === rule?.queryParameter);
  const identity = await authorizer.authenticate(request, sameParameter ? rule : undefined);

  const satisfies = (candidate: RouteRule) => meets(candidate, identity);
  const allowedHere = held.every((r) => r === undefined || satisfies(r));
  // IAM compares case-sensitively and has no pattern for every spelling the rules read as one
  // route (`/ADMIN` for `/admin/**`), so the request in hand is denied by name when refused.
  const denyHere = allowedHere ? [] : [`${request.method}/${request.path.slice(1)}`];
  // A WebSocket API authorizes `$connect` alone: its answer names that route, nothing else.
  const { document, rules } =
    arn.websocketRoute === undefined
      ? compiled(compilePolicy(config.routes, satisfies, arn.prefix, denyHere))
      : { document: connectPolicy(arn.prefix, arn.websocketRoute, allowedHere), rules: undefined };
  const { context, dropped } = buildContext(identity, config.forwardClaims);
  finish({
    ...base,
    ...identityFields(identity),
    outcome: allowedHere ? 'allow' : 'deny',
    code: allowedHere ? 'ok' : 'insufficient_scope',
    ...(rules ? { rules } : {}),
    ...(dropped.length > 0 ? { contextDropped: dropped } : {}),
  });
  return { principalId: principalIdOf(identity), policyDocument: document, context };
}

/**
 * Simple answer: the core's whole decision for this one route. A boolean cannot vary by route,
 * so it is only correct under API Gateway's cache when the cache key includes the route or the
 * cache is off; the template turns caching off for simple responses (TTL 0).
 */
async function answerSimple(
  state: ReadyState,
  normalized: NormalizedEvent,
  base: Pick<LogFields, 'event' | 'response' | 'route'>,
  finish: (fields: LogFields) => void,
): Promise<SimpleResponse> {
  const decision = await state.authorizer.authorize(normalized.request);
  switch (decision.outcome) {
    case 'public':
    case 'preflight':
      finish({ ...base, outcome: 'allow', code: decision.outcome });
      return { isAuthorized: true, context: {} };
    case 'allow': {
      const { context, dropped } = buildContext(decision.identity, state.config.forwardClaims);
      finish({
        ...base,
        ...identityFields(decision.identity),
        outcome: 'allow',
        code: 'ok',
        ...(dropped.length > 0 ? { contextDropped: dropped } : {}),
      });
      return { isAuthorized: true, context };
    }
    case 'deny':
      // Unavailable key sets fail closed with an error, like IAM answers; the rest is a "no".
      if (outcomeOf(decision.error.code).kind === 'unavailable') throw decision.error;
      finish({
        ...base,
        ...errorFields(decision.error),
        ...(decision.identity ? identityFields(decision.identity) : {}),
        outcome: 'deny',
      });
      return { isAuthorized: false };
  }
}

/**
 * Turns a thrown error into the error the handler throws, and logs it. Only request-input
 * failures become `Unauthorized`; an unavailable key set and anything unexpected fail closed
 * with an error API Gateway answers 500 for.
 */
function failure(
  error: unknown,
  base: Pick<LogFields, 'event' | 'response' | 'route'>,
  finish: (fields: LogFields) => void,
): Error {
  if (error instanceof AuthError) {
    if (outcomeOf(error.code).kind === 'unavailable') {
      finish({ ...base, ...errorFields(error), outcome: 'error' });
      return new AuthorizerFailure('key_set_unavailable');
    }
    // 400-, 401- and 403-kind failures without a verified token (a malformed header, a bad
    // token, a cookie from a foreign origin) are all `Unauthorized`: a REST authorizer has no
    // other way to refuse without a policy, and a policy needs a verified principal.
    finish({ ...base, ...errorFields(error), outcome: 'unauthorized' });
    return unauthorized();
  }
  finish({
    ...base,
    outcome: 'error',
    code: 'internal',
    // The name only: an unexpected error's message is not known to be free of request data.
    error: error instanceof Error ? error.name : typeof error,
  });
  return new AuthorizerFailure('internal');
}

/** A compiled policy's document and its rule counts for the log line. */
function compiled(policy: CompiledPolicy) {
  return {
    document: policy.document,
    rules: { satisfied: policy.satisfiedRules, unsatisfied: policy.unsatisfiedRules },
  };
}

/** Whether a verified token meets a rule's requirement. */
function meets(rule: RouteRule, identity: Identity): boolean {
  if (rule.require.kind === 'public') return true;
  try {
    checkRequirement(rule.require, identity);
    return true;
  } catch {
    return false;
  }
}

/** The header a TOKEN event's `authorizationToken` stands for (see `normalizeEvent`). */
function credentialHeader(config: AuthConfig): string {
  const { bearer, header } = config.credentials;
  return bearer || header === undefined ? 'authorization' : header;
}

function identityFields(identity: Identity): Partial<LogFields> {
  return {
    issuer: identity.iss,
    ...(identity.kid !== undefined ? { kid: identity.kid } : {}),
    cache: identity.cache,
  };
}

function errorFields(error: AuthError): Pick<LogFields, 'code'> & Partial<LogFields> {
  return {
    code: error.code,
    ...(error.detail.issuer !== undefined ? { issuer: error.detail.issuer } : {}),
    ...(error.detail.kid !== undefined ? { kid: error.detail.kid } : {}),
  };
}

/** The event kind for log lines of events that were not normalised. */
function kindOf(event: unknown): string {
  if (typeof event !== 'object' || event === null) return 'unknown';
  const { type, version } = event as { type?: unknown; version?: unknown };
  if (type === 'TOKEN') return 'token';
  if (type === 'REQUEST')
    return version === '2.0' ? 'http-v2' : version === '1.0' ? 'http-v1' : 'request';
  return 'unknown';
}
