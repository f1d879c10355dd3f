/**
 * C20-C23 once more through the Lambda bundle with event shapes the other tests do not use:
 * events whose header, cookie and query maps are `null` (API Gateway sends `null` for an empty
 * map), an HTTP API `$default` stage, and a cold, unreachable key set behind simple responses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureLogs,
  coldStart,
  httpV2Event,
  outcome,
  readEvent,
  type Scene,
  startScene,
  tokenEvent,
} from './harness.ts';
import { expectFailClosed, expectIamAnswer, expectUnauthorized } from './shapes.ts';

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

describe('C23 and C18: null maps in real events', () => {
  it.each([
    [
      'REST REQUEST with null headers and query maps',
      () => {
        const event = readEvent('request');
        for (const name of [
          'headers',
          'multiValueHeaders',
          'queryStringParameters',
          'multiValueQueryStringParameters',
          'pathParameters',
          'stageVariables',
        ]) {
          event[name] = null;
        }
        return event;
      },
    ],
    [
      'HTTP API 2.0 with null cookies, headers and identitySource',
      () => {
        const event = httpV2Event();
        event.cookies = null;
        event.headers = null;
        event.identitySource = null;
        event.queryStringParameters = null;
        return event;
      },
    ],
    [
      'HTTP API 1.0 with null headers',
      () => {
        const event = readEvent('httpV1');
        event.headers = null;
        event.multiValueHeaders = null;
        event.queryStringParameters = null;
        return event;
      },
    ],
    ['REST TOKEN with a null authorizationToken', () => tokenEvent(undefined)],
  ])('%s is exactly Unauthorized', async (_, make) => {
    const handler = await coldStart(scene.env());
    expectUnauthorized(await outcome(handler, make()));
  });

  it('allows a v2 token with null cookies and query maps, on the $default stage', async () => {
    const handler = await coldStart(scene.env());
    const arn = 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/orders';
    const event = httpV2Event({ authorization: `Bearer ${await scene.token()}`, routeArn: arn });
    event.cookies = null;
    event.queryStringParameters = null;
    const answer = expectIamAnswer((await outcome(handler, event)).value, arn);
    expect(answer.policyDocument.Statement.some((s) => s.Effect === 'Allow')).toBe(true);
  });
});

describe('C22 cold and unreachable behind simple responses', () => {
  it('fails closed, neither Unauthorized nor isAuthorized false', async () => {
    const env = {
      ...scene.env({ AUTHORIZER_RESPONSE: 'simple' }),
      JWKS_URL: 'http://127.0.0.1:9/jwks.json',
    };
    const handler = await coldStart(env);
    const result = await outcome(
      handler,
      httpV2Event({ authorization: `Bearer ${await scene.token()}` }),
    );
    expectFailClosed(result);
    expect(result.value).toBeUndefined();
  });
});
