/**
 * The bundle behind an HTTP API: the real payload 1.0 and 2.0 events (C23: lower-case headers,
 * `routeArn`, an `identitySource` array, a `cookies` array), answered with IAM policies by
 * default and with simple responses when `AUTHORIZER_RESPONSE=simple`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  captureLogs,
  coldStart,
  type Handler,
  httpV1Event,
  httpV2Event,
  outcome,
  readEvent,
  type Scene,
  startScene,
  tokenEvent,
} from './harness.ts';
import { allows } from './iam.ts';
import {
  expectFailClosed,
  expectIamAnswer,
  expectSimpleAnswer,
  expectUnauthorized,
} from './shapes.ts';

const V2_ARN = readEvent('httpV2').routeArn as string;
const V1_ARN = readEvent('httpV1').methodArn as string;
const CONFIG = {
  routes: [{ method: 'GET', path: '/request', scopes: ['request:read'] }],
  credentials: { bearer: true, cookie: '__session' },
  corsOrigins: ['https://app.example.com'],
};

let scene: Scene;
let logs: ReturnType<typeof captureLogs>;
let iam: Handler;
let simple: Handler;

beforeAll(async () => {
  scene = await startScene();
  logs = captureLogs();
  iam = await coldStart(scene.env({ AUTH_CONFIG: CONFIG }));
  simple = await coldStart(scene.env({ AUTH_CONFIG: CONFIG, AUTHORIZER_RESPONSE: 'simple' }));
});
afterEach(() => {
  logs.lines.length = 0;
});
afterAll(async () => {
  logs.restore();
  await scene.close();
});

describe('HTTP API payload 1.0', () => {
  it('answers the real 1.0 event with an IAM policy for its own API and stage', async () => {
    const token = await scene.token({ scope: 'request:read' });

    const answer = expectIamAnswer(
      (await outcome(iam, httpV1Event({ Authorization: `Bearer ${token}` }))).value,
      V1_ARN,
    );

    expect(allows(answer.policyDocument, V1_ARN)).toBe(true);
    expect(answer.principalId).toBe('user-1');
  });

  it('does not take the identity-source text in authorizationToken for a credential', async () => {
    // The real event has `authorizationToken: "user1,123"` and no Authorization header.
    expectUnauthorized(await outcome(iam, readEvent('httpV1')));
  });

  it('answers with an IAM policy even when simple responses are configured', async () => {
    const token = await scene.token({ scope: 'request:read' });

    expectIamAnswer(
      (await outcome(simple, httpV1Event({ Authorization: `Bearer ${token}` }))).value,
      V1_ARN,
    );
  });
});

describe('HTTP API payload 2.0 with IAM responses (C23)', () => {
  it('reads the Authorization header of the real event whatever its casing, and scopes to routeArn', async () => {
    const token = await scene.token({ scope: 'request:read' });
    const event = readEvent('httpV2');
    (event.headers as Record<string, string>).Authorization = `Bearer ${token}`;

    const answer = expectIamAnswer((await outcome(iam, event)).value, V2_ARN);

    expect(allows(answer.policyDocument, V2_ARN)).toBe(true);
    expect(logs.decisions()[0]).toMatchObject({
      outcome: 'allow',
      event: 'http-v2',
      response: 'iam',
      route: 'GET /request',
    });
  });

  it('reads a lower-case authorization header', async () => {
    const token = await scene.token({ scope: 'request:read' });

    expectIamAnswer(
      (await outcome(iam, httpV2Event({ authorization: `Bearer ${token}` }))).value,
      V2_ARN,
    );
  });

  it('throws Unauthorized for the real event, whose Authorization is not a bearer token', async () => {
    expectUnauthorized(await outcome(iam, readEvent('httpV2')));
  });

  it('reads the cookie credential from the cookies array', async () => {
    const token = await scene.token({ scope: 'request:read' });
    const event = httpV2Event({ cookies: ['theme=dark', `__session=${token}`] });

    const answer = expectIamAnswer((await outcome(iam, event)).value, V2_ARN);

    expect(answer.principalId).toBe('user-1');
  });

  it('refuses a cookie credential on POST from an untrusted origin', async () => {
    const token = await scene.token({ scope: 'request:read' });
    const event = httpV2Event({
      cookies: [`__session=${token}`],
      headers: { origin: 'https://evil.example.com' },
      routeArn: V2_ARN.replace('/GET/', '/POST/'),
    });

    expectUnauthorized(await outcome(iam, event));
  });

  it('accepts a cookie credential on POST from a configured origin', async () => {
    const token = await scene.token({ scope: 'request:read' });
    const event = httpV2Event({
      cookies: [`__session=${token}`],
      headers: { origin: 'https://app.example.com' },
      routeArn: V2_ARN.replace('/GET/', '/POST/'),
    });

    expectIamAnswer((await outcome(iam, event)).value, V2_ARN);
  });
});

describe('HTTP API payload 2.0 with simple responses (C23)', () => {
  it('answers isAuthorized true, a real boolean, with a flat context', async () => {
    const token = await scene.token({ scope: 'request:read' });

    const answer = expectSimpleAnswer(
      (await outcome(simple, httpV2Event({ authorization: `Bearer ${token}` }))).value,
      true,
    );

    expect(answer.context).toMatchObject({
      sub: 'user-1',
      iss: scene.issuer,
      scope: 'request:read',
    });
    expect(logs.decisions()[0]).toMatchObject({ outcome: 'allow', response: 'simple' });
  });

  it('answers exactly isAuthorized false for an invalid token', async () => {
    const result = await outcome(simple, httpV2Event({ authorization: 'Bearer abc.def.ghi' }));

    expect(result.value).toStrictEqual({ isAuthorized: false });
  });

  it('answers exactly isAuthorized false without a credential', async () => {
    expect((await outcome(simple, httpV2Event())).value).toStrictEqual({ isAuthorized: false });
  });

  it('answers isAuthorized false when the token lacks the route scope', async () => {
    const token = await scene.token({ scope: 'other' });

    const result = await outcome(simple, httpV2Event({ authorization: `Bearer ${token}` }));

    expect(result.value).toStrictEqual({ isAuthorized: false });
    expect(logs.decisions()[0]).toMatchObject({ outcome: 'deny', code: 'insufficient_scope' });
  });

  it('decides by the route: the same token passes a route without that rule', async () => {
    const token = await scene.token({ scope: 'other' });
    const event = httpV2Event({
      authorization: `Bearer ${token}`,
      routeArn: V2_ARN.replace('/GET/request', '/GET/elsewhere'),
    });

    expectSimpleAnswer((await outcome(simple, event)).value, true);
  });

  it('reads the cookie credential from the cookies array', async () => {
    const token = await scene.token({ scope: 'request:read' });

    expectSimpleAnswer(
      (await outcome(simple, httpV2Event({ cookies: [`__session=${token}`] }))).value,
      true,
    );
  });

  it('still answers REST TOKEN events with an IAM policy', async () => {
    const token = await scene.token({ scope: 'request:read' });

    expectIamAnswer(
      (await outcome(simple, tokenEvent(`Bearer ${token}`))).value,
      readEvent('token').methodArn as string,
    );
  });
});

describe('HTTP API with the provider down on a cold instance', () => {
  it('fails closed with an error that is not Unauthorized, in both response modes', async () => {
    const down = await startScene();
    down.provider.route('/jwks.json', { status: 503, body: 'maintenance' });
    const token = await down.token({ scope: 'request:read' });
    const event = httpV2Event({ authorization: `Bearer ${token}` });

    const iamCold = await coldStart(down.env({ AUTH_CONFIG: CONFIG }));
    expectFailClosed(await outcome(iamCold, event));
    const simpleCold = await coldStart(
      down.env({ AUTH_CONFIG: CONFIG, AUTHORIZER_RESPONSE: 'simple' }),
    );
    expectFailClosed(await outcome(simpleCold, event));

    const decisions = logs.decisions();
    expect(decisions).toHaveLength(2);
    for (const line of decisions) {
      expect(line).toMatchObject({ outcome: 'error', code: 'key_set_unavailable', level: 'error' });
    }
    await down.close();
  });
});
