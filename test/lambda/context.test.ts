/**
 * C21: the authorizer `context` holds strings, numbers and booleans only, whatever the claims
 * hold, and stays small; otherwise API Gateway answers 500 for every request of the token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContext, flattenValue, MAX_CONTEXT_BYTES } from '../../lambda/context.ts';
import type { Identity } from '../../shared/types.ts';
import {
  captureLogs,
  coldStart,
  httpV2Event,
  outcome,
  type Scene,
  startScene,
  tokenEvent,
} from './harness.ts';
import { expectFlatContext, expectIamAnswer, expectSimpleAnswer } from './shapes.ts';

const FORWARD = {
  roles: 'roles',
  claims: 'claims',
  email_verified: 'email_verified',
  nickname: 'nickname',
  aud: 'aud',
  count: 'count',
  tags: 'tags',
  mixed: 'mixed',
};
const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/users/42';

let scene: Scene;
let logs: ReturnType<typeof captureLogs>;
beforeAll(async () => {
  scene = await startScene();
  logs = captureLogs();
});
afterAll(async () => {
  logs.restore();
  await scene.close();
});

/** The claims of C21, with the audience list holding the configured audience. */
function c21Claims() {
  return {
    roles: ['admin', 'ops'],
    claims: { tid: 't' },
    email_verified: true,
    nickname: null,
    aud: [scene.audience, 'b'],
    count: 3,
    tags: ['a,b', 'c'],
    mixed: [1, { x: null }],
  };
}

describe('context of the bundle (C21)', () => {
  it('flattens every claim value type in an IAM answer', async () => {
    const handler = await coldStart(scene.env({ AUTH_CONFIG: { forwardClaims: FORWARD } }));
    const token = await scene.token(c21Claims());

    const answer = expectIamAnswer(
      (await outcome(handler, tokenEvent(`Bearer ${token}`, ARN))).value,
      ARN,
    );

    expect(answer.context).toStrictEqual({
      sub: 'user-1',
      iss: scene.issuer,
      roles: 'admin,ops',
      claims: '{"tid":"t"}',
      email_verified: true,
      aud: `${scene.audience},b`,
      count: 3,
      tags: '["a,b","c"]',
      mixed: '[1,{"x":null}]',
    });
    expect(answer.context).not.toHaveProperty('nickname');
    expectFlatContext(answer.context);
  });

  it('flattens every claim value type in a simple answer', async () => {
    const handler = await coldStart(
      scene.env({ AUTH_CONFIG: { forwardClaims: FORWARD }, AUTHORIZER_RESPONSE: 'simple' }),
    );
    const token = await scene.token({ ...c21Claims(), scope: 'a b' });

    const answer = expectSimpleAnswer(
      (await outcome(handler, httpV2Event({ authorization: `Bearer ${token}` }))).value,
      true,
    );

    const context = answer.context as Record<string, unknown>;
    expect(context.scope).toBe('a b');
    expect(context.roles).toBe('admin,ops');
    expect(context.email_verified).toBe(true);
    expect(context.count).toBe(3);
    expect(context).not.toHaveProperty('nickname');
  });

  it('leaves out a claim that would make the context too large, and logs its key', async () => {
    const handler = await coldStart(
      scene.env({ AUTH_CONFIG: { forwardClaims: { ...FORWARD, bio: 'bio' } } }),
    );
    const token = await scene.token({ ...c21Claims(), bio: 'x'.repeat(MAX_CONTEXT_BYTES) });
    logs.lines.length = 0;

    const answer = expectIamAnswer(
      (await outcome(handler, tokenEvent(`Bearer ${token}`, ARN))).value,
      ARN,
    );

    expect(answer.context).not.toHaveProperty('bio');
    expect(answer.context.roles).toBe('admin,ops');
    expect(new TextEncoder().encode(JSON.stringify(answer.context)).length).toBeLessThanOrEqual(
      MAX_CONTEXT_BYTES,
    );
    expect(logs.decisions()[0]?.contextDropped).toEqual(['bio']);
  });
});

describe('flattenValue', () => {
  it('keeps strings, finite numbers and booleans and drops null and undefined', () => {
    expect(flattenValue('s')).toBe('s');
    expect(flattenValue(0)).toBe(0);
    expect(flattenValue(1.5)).toBe(1.5);
    expect(flattenValue(false)).toBe(false);
    expect(flattenValue(null)).toBeUndefined();
    expect(flattenValue(undefined)).toBeUndefined();
    expect(flattenValue(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('joins arrays of plain values and JSON-encodes the rest', () => {
    expect(flattenValue(['a', 1, true])).toBe('a,1,true');
    expect(flattenValue([])).toBe('');
    expect(flattenValue(['a,b'])).toBe('["a,b"]');
    expect(flattenValue([null])).toBe('[null]');
    expect(flattenValue([['nested']])).toBe('[["nested"]]');
    expect(flattenValue({ a: { b: [1] } })).toBe('{"a":{"b":[1]}}');
  });
});

describe('buildContext', () => {
  it('puts sub, iss and scope first and never lets a forwarded claim replace them', () => {
    const identity = {
      subject: 'u',
      iss: 'https://issuer.example',
      scopes: ['read', 'write'],
      payload: { sub: 'u', email: 'u@example.com', other: 'x' },
    } as unknown as Identity;

    const { context, dropped } = buildContext(identity, { email: 'email', other: 'sub' });

    expect(context).toStrictEqual({
      sub: 'u',
      iss: 'https://issuer.example',
      scope: 'read write',
      email: 'u@example.com',
    });
    expect(dropped).toEqual([]);
  });

  it('never writes a forwarded claim under a key API Gateway sets itself', () => {
    const identity = {
      subject: 'u',
      iss: 'https://issuer.example',
      scopes: [],
      payload: { sub: 'u', nickname: 'admin', latency: 1, email: 'u@example.com' },
    } as unknown as Identity;

    const { context } = buildContext(identity, {
      nickname: 'principalId',
      latency: 'IntegrationLatency',
      email: 'email',
    });

    expect(context).toStrictEqual({
      sub: 'u',
      iss: 'https://issuer.example',
      email: 'u@example.com',
    });
  });
});
