/**
 * Assertions of the exact answer shapes API Gateway documents, read from
 * `../shared/realdata/aws-events/authorizer-responses.json`: the IAM answer (REST and HTTP API
 * payload 1.0/2.0 with IAM responses) and the simple answer of payload 2.0.
 */
import { expect } from 'vitest';
import { readResponseShapes } from './harness.ts';

type Json = Record<string, unknown>;

const shapes = readResponseShapes();
const restShape = (shapes.rest_api_iam_policy_response as { json: Json }).json;
const restPolicy = restShape.policyDocument as { Version: string; Statement: Json[] };
const restStatement = restPolicy.Statement[0]!;

/** The keys of the documented REST answer that the authorizer must send (no API key use). */
const IAM_KEYS = ['context', 'policyDocument', 'principalId'];

/** An IAM policy answer, as the authorizer returns it. */
export interface IamAnswer {
  principalId: string;
  policyDocument: {
    Version: string;
    Statement: { Action: string; Effect: string; Resource: string }[];
  };
  context: Record<string, unknown>;
}

/**
 * Checks that `value` is an IAM answer of the documented shape whose every resource lies in the
 * API and stage of `eventArn`, and returns it typed.
 */
export function expectIamAnswer(value: unknown, eventArn: string): IamAnswer {
  expect(value).toBeTypeOf('object');
  expect(value).not.toBeNull();
  const answer = value as IamAnswer;
  expect(Object.keys(answer).sort()).toEqual(IAM_KEYS);
  for (const key of IAM_KEYS) expect(Object.keys(restShape)).toContain(key);
  expect(answer).not.toHaveProperty('statusCode');

  expect(typeof answer.principalId).toBe('string');
  expect(answer.principalId).not.toBe('');
  expect(Object.keys(answer.policyDocument).sort()).toEqual(Object.keys(restPolicy).sort());
  expect(answer.policyDocument.Version).toBe(restPolicy.Version);
  expect(answer.policyDocument.Statement.length).toBeGreaterThan(0);

  // arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/ of the event itself.
  const prefix = `${eventArn.split('/').slice(0, 2).join('/')}/`;
  const effects = String(restStatement.Effect).split('|');
  for (const statement of answer.policyDocument.Statement) {
    expect(Object.keys(statement).sort()).toEqual(Object.keys(restStatement).sort());
    expect(statement.Action).toBe(restStatement.Action);
    expect(effects).toContain(statement.Effect);
    expect(typeof statement.Resource).toBe('string');
    expect(statement.Resource.startsWith(prefix)).toBe(true);
  }
  expectFlatContext(answer.context);
  return answer;
}

/** Checks a simple answer: `isAuthorized` a real boolean, context flat when present. */
export function expectSimpleAnswer(value: unknown, isAuthorized: boolean): Json {
  const documented = (shapes.http_api_v2_simple_response_from_example_function as { json: Json })
    .json;
  expect(value).toBeTypeOf('object');
  const answer = value as Json;
  for (const key of Object.keys(answer)) expect(Object.keys(documented)).toContain(key);
  expect(answer.isAuthorized).toBe(isAuthorized);
  expect(typeof answer.isAuthorized).toBe('boolean');
  if (answer.context !== undefined) expectFlatContext(answer.context as Json);
  return answer;
}

/** Every context value is a string, a finite number or a boolean (C21). */
export function expectFlatContext(context: Record<string, unknown>): void {
  expect(context).toBeTypeOf('object');
  for (const [key, value] of Object.entries(context)) {
    const type = typeof value;
    expect(['string', 'number', 'boolean'], `context.${key}`).toContain(type);
    if (type === 'number') expect(Number.isFinite(value)).toBe(true);
  }
}

/** The error API Gateway maps to 401: exactly `Unauthorized`. */
export function expectUnauthorized(outcome: { value?: unknown; error?: Error }): void {
  expect(outcome.value).toBeUndefined();
  expect(outcome.error).toBeInstanceOf(Error);
  expect(outcome.error?.message).toBe('Unauthorized');
}

/** A failure that is deliberately not `Unauthorized` (API Gateway answers 500: fail closed). */
export function expectFailClosed(outcome: { value?: unknown; error?: Error }): void {
  expect(outcome.value).toBeUndefined();
  expect(outcome.error).toBeInstanceOf(Error);
  expect(outcome.error?.message).not.toBe('Unauthorized');
  expect(outcome.error?.message).not.toBe('');
}
