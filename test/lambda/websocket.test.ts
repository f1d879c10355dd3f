/**
 * The bundle behind a WebSocket API: a REQUEST authorizer runs for the `$connect` route alone,
 * and its `methodArn` (`{apiId}/{stage}/$connect`) has no method or path. The connection is the
 * opening handshake, `GET /`, held to the rules like any request; the answer names the route.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  captureLogs,
  coldStart,
  type Handler,
  outcome,
  requestEvent,
  type Scene,
  startScene,
} from './harness.ts';
import { evaluate } from './iam.ts';
import { expectIamAnswer, expectUnauthorized } from './shapes.ts';

const CONNECT = 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/default/$connect';
const ROUTES = [{ method: 'GET', path: '/', scopes: ['chat'], queryParameter: 'token' }];

let scene: Scene;
let handler: Handler;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  scene = await startScene();
  logs = captureLogs();
  handler = await coldStart(scene.env({ AUTH_CONFIG: { routes: ROUTES } }));
});
afterEach(() => {
  logs.lines.length = 0;
});
afterAll(async () => {
  logs.restore();
  await scene.close();
});

/** The REST REQUEST event as a WebSocket `$connect`, with a `?token=` query when given. */
function connectEvent(headers: Record<string, string>, queryToken?: string) {
  const event = requestEvent(headers, CONNECT);
  if (queryToken !== undefined) {
    event.queryStringParameters = { token: queryToken };
    event.multiValueQueryStringParameters = { token: [queryToken] };
  }
  return event;
}

describe('WebSocket $connect', () => {
  it('allows the connection of a token that meets the rule, naming only the $connect route', async () => {
    const token = await scene.token({ scope: 'chat' });

    const answer = expectIamAnswer(
      (await outcome(handler, connectEvent({ Authorization: `Bearer ${token}` }))).value,
      CONNECT,
    );

    expect(answer.principalId).toBe('user-1');
    expect(answer.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: CONNECT },
    ]);
    expect(evaluate(answer.policyDocument, CONNECT)).toBe('allow');
    expect(logs.decisions()[0]).toMatchObject({ outcome: 'allow', route: '$connect' });
  });

  it('reads the token from the query parameter a browser WebSocket client can send', async () => {
    const token = await scene.token({ scope: 'chat' });

    const answer = expectIamAnswer(
      (await outcome(handler, connectEvent({}, token))).value,
      CONNECT,
    );

    expect(evaluate(answer.policyDocument, CONNECT)).toBe('allow');
  });

  it('denies the connection of a valid token without the scope, with a principal', async () => {
    const token = await scene.token({ scope: 'other' });

    const answer = expectIamAnswer(
      (await outcome(handler, connectEvent({ Authorization: `Bearer ${token}` }))).value,
      CONNECT,
    );

    expect(answer.principalId).toBe('user-1');
    expect(evaluate(answer.policyDocument, CONNECT)).toBe('explicit-deny');
    expect(logs.decisions()[0]).toMatchObject({ outcome: 'deny', code: 'insufficient_scope' });
  });

  it('throws exactly Unauthorized for a connection without a credential or with a bad one', async () => {
    expectUnauthorized(await outcome(handler, connectEvent({})));
    expectUnauthorized(await outcome(handler, connectEvent({ Authorization: 'Bearer x.y.z' })));
  });
});
