/**
 * API Gateway authorizer events for `invoke`: generated for a method and path in each of the
 * four shapes (REST `TOKEN`, REST `REQUEST`, HTTP API payload 1.0 and 2.0), or read from a file
 * and given the token where that shape carries it.
 */

/** The event shapes `invoke` can generate. */
export const EVENT_KINDS = ['token', 'request', 'http-v1', 'http-v2'] as const;

/** One of {@link EVENT_KINDS}. */
export type EventKind = (typeof EVENT_KINDS)[number];

/** Example account, API and stage of generated events (the ARN the policy is compiled for). */
export const EXAMPLE_ARN = {
  region: 'us-east-1',
  account: '123456789012',
  apiId: 'abcdef1234',
  stage: 'prod',
} as const;

function methodArn(method: string, path: string, stage: string): string {
  const { region, account, apiId } = EXAMPLE_ARN;
  return `arn:aws:execute-api:${region}:${account}:${apiId}/${stage}/${method}${path}`;
}

/** Generates an event of `kind` for `method` and `path`, carrying `token` if given. */
export function generateEvent(
  kind: EventKind,
  method: string,
  path: string,
  token: string | undefined,
): Record<string, unknown> {
  const bearer = token === undefined ? undefined : `Bearer ${token}`;
  const { account, apiId, stage } = EXAMPLE_ARN;
  const headers: Record<string, string> = { Host: `${apiId}.execute-api.us-east-1.amazonaws.com` };
  if (bearer) headers.Authorization = bearer;

  switch (kind) {
    case 'token':
      return {
        type: 'TOKEN',
        authorizationToken: bearer ?? '',
        methodArn: methodArn(method, path, stage),
      };
    case 'request':
      return {
        type: 'REQUEST',
        methodArn: methodArn(method, path, stage),
        resource: path,
        path,
        httpMethod: method,
        headers,
        multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
        queryStringParameters: {},
        pathParameters: {},
        stageVariables: {},
        requestContext: {
          accountId: account,
          apiId,
          stage,
          httpMethod: method,
          resourcePath: path,
          path: `/${stage}${path}`,
        },
      };
    case 'http-v1':
      return {
        version: '1.0',
        type: 'REQUEST',
        methodArn: methodArn(method, path, stage),
        identitySource: bearer ?? '',
        authorizationToken: bearer ?? '',
        resource: path,
        path,
        httpMethod: method,
        headers,
        queryStringParameters: {},
        pathParameters: {},
        stageVariables: {},
        requestContext: {
          accountId: account,
          apiId,
          stage,
          httpMethod: method,
          resourcePath: path,
          path: `/${stage}${path}`,
        },
      };
    case 'http-v2': {
      const lower = Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]),
      );
      return {
        version: '2.0',
        type: 'REQUEST',
        routeArn: methodArn(method, path, '$default'),
        identitySource: bearer ? [bearer] : [],
        routeKey: `${method} ${path}`,
        rawPath: path,
        rawQueryString: '',
        headers: lower,
        requestContext: {
          accountId: account,
          apiId,
          http: {
            method,
            path,
            protocol: 'HTTP/1.1',
            sourceIp: '127.0.0.1',
            userAgent: 'edge-jwt invoke',
          },
          routeKey: `${method} ${path}`,
          stage: '$default',
        },
      };
    }
  }
}

/** Sets the header `name` case-insensitively, replacing any spelling already there. */
function setHeader(headers: Record<string, unknown>, name: string, value: unknown): void {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
  }
  headers[name] = value;
}

/**
 * Puts `token` into an event read from a file, where its shape carries the credential: the
 * `authorizationToken` of a TOKEN event, the `Authorization` header (and `identitySource`) of
 * the others. The event object is copied, not changed.
 */
export function withToken(event: Record<string, unknown>, token: string): Record<string, unknown> {
  const copy = structuredClone(event);
  const bearer = `Bearer ${token}`;
  if (copy.type === 'TOKEN') {
    copy.authorizationToken = bearer;
    return copy;
  }
  const v2 = copy.version === '2.0';
  const headers = (copy.headers ?? {}) as Record<string, unknown>;
  setHeader(headers, v2 ? 'authorization' : 'Authorization', bearer);
  copy.headers = headers;
  if (copy.multiValueHeaders && typeof copy.multiValueHeaders === 'object') {
    setHeader(copy.multiValueHeaders as Record<string, unknown>, 'Authorization', [bearer]);
  }
  if (v2) copy.identitySource = [bearer];
  else if ('identitySource' in copy) copy.identitySource = bearer;
  if ('authorizationToken' in copy) copy.authorizationToken = bearer;
  return copy;
}

/** The label of an event that is none of the four shapes. */
export const UNRECOGNISED_EVENT =
  'unrecognised (no "type": "TOKEN" or "REQUEST", no "version": "1.0" or "2.0")';

/** What kind of event this is, for the report. */
export function eventKindOf(event: Record<string, unknown>): string {
  if (event.type === 'TOKEN') return 'REST TOKEN';
  if (event.version === '2.0') return 'HTTP API payload 2.0';
  if (event.version === '1.0') return 'HTTP API payload 1.0';
  // A REST REQUEST event is the one shape with neither a TOKEN type nor a version.
  if (event.type === 'REQUEST') return 'REST REQUEST';
  return UNRECOGNISED_EVENT;
}
