/**
 * The execute-api ARN that API Gateway puts in an authorizer event (`methodArn` for REST APIs and
 * HTTP API payload 1.0, `routeArn` for payload 2.0). It names the request being authorized:
 * `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}`, with the
 * request's own method and path (stage prefix removed, path parameters filled in). A WebSocket
 * API's REQUEST authorizer runs only for the `$connect` route, whose ARN has no method or path:
 * `{apiId}/{stage}/$connect`.
 *
 * The policy the authorizer returns is evaluated by API Gateway against this same string for
 * every later request that hits the authorizer cache, so the request's method and path are taken
 * from here, and every policy resource starts with {@link ExecuteApiArn.prefix}: the event's own
 * partition, region, account, API and stage, never another API's.
 */

/** The parts of an execute-api ARN. */
export interface ExecuteApiArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly apiId: string;
  /** The stage as API Gateway wrote it (`*` in console test invocations). */
  readonly stage: string;
  /** The request's method, upper-case as API Gateway writes it. */
  readonly method: string;
  /** The request path with a leading `/` (`/` for the root resource). */
  readonly path: string;
  /** `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/`: every resource's start. */
  readonly prefix: string;
  /**
   * `$connect` for a WebSocket API's connection request, whose method and path are then those of
   * the opening handshake, `GET /` (RFC 6455 §4.1); absent for REST and HTTP APIs.
   */
  readonly websocketRoute?: '$connect';
}

/** The event carried no usable execute-api ARN: API Gateway never sends that, an operator did. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

// Partitions are `aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, ...; ids are plain tokens. Nothing
// here may contain `*` or `?`, except the stage of a console test invocation, because a wildcard
// in the prefix would widen every resource of the policy.
const PARTITION = /^aws(-[a-z]+)*$/;
const PLAIN = /^[A-Za-z0-9-]+$/;
const METHOD = /^[A-Z]+$/;
const STAGE = /^(\*|[A-Za-z0-9_$-]+)$/;
/** The one WebSocket route an authorizer runs for. */
const WEBSOCKET_CONNECT = '$connect';

/**
 * Parses an execute-api ARN. Only the first five colons separate ARN fields: a request path may
 * itself contain `:` (a timestamp segment, say), and must stay part of the resource.
 *
 * @throws InvalidEventError when the text is not an execute-api method or route ARN.
 */
export function parseExecuteApiArn(text: unknown): ExecuteApiArn {
  if (typeof text !== 'string' || text.length === 0) {
    throw new InvalidEventError('the event has no methodArn or routeArn');
  }
  const fields = text.split(':');
  if (fields.length < 6) throw new InvalidEventError('the ARN has fewer than six fields');
  const [arn, partition, service, region, account] = fields as [
    string,
    string,
    string,
    string,
    string,
  ];
  const resource = fields.slice(5).join(':');
  if (arn !== 'arn' || service !== 'execute-api' || !PARTITION.test(partition)) {
    throw new InvalidEventError('the ARN is not an execute-api ARN');
  }
  if (!PLAIN.test(region) || !/^\d{12}$/.test(account)) {
    throw new InvalidEventError('the ARN has no region or account');
  }

  // `{apiId}/{stage}/{METHOD}/{path...}`; the root resource is `{apiId}/{stage}/GET/`.
  const parts = resource.split('/');
  const [apiId, stage, method] = parts;
  if (apiId === undefined || !PLAIN.test(apiId)) throw new InvalidEventError('bad API id');
  if (stage === undefined || !STAGE.test(stage)) throw new InvalidEventError('bad stage');
  const prefix = `arn:${partition}:execute-api:${region}:${account}:${apiId}/${stage}/`;
  const where = { partition, region, account, apiId, stage, prefix };
  if (parts.length === 3 && method === WEBSOCKET_CONNECT) {
    return { ...where, method: 'GET', path: '/', websocketRoute: WEBSOCKET_CONNECT };
  }
  if (method === undefined || !METHOD.test(method)) throw new InvalidEventError('bad method');
  return { ...where, method, path: `/${parts.slice(3).join('/')}` };
}
