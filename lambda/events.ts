/**
 * Turns the four API Gateway authorizer event shapes into the core's platform-neutral
 * {@link AuthRequest}, plus the execute-api ARN the answer must be scoped to:
 *
 * - REST `TOKEN`: only `authorizationToken` and `methodArn`. The token text is presented to the
 *   core as the value of the credential header, so it goes through the same credential parser as
 *   every other request (`bearer <jwt>` accepted, a bare `<jwt>` or `Basic ...` refused: C18).
 * - REST `REQUEST` and HTTP API payload 1.0: `headers` and `multiValueHeaders` with any casing,
 *   query parameters, `methodArn`. (Payload 1.0 also has an `authorizationToken` holding the
 *   identity-source values joined; it is not a credential and is ignored.)
 * - HTTP API payload 2.0: lower-case `headers`, a `cookies` array instead of a `Cookie` header,
 *   `rawQueryString`, `routeArn`, an `identitySource` array (C23).
 * - WebSocket `$connect`: a REST-style REQUEST event whose `methodArn` ends in `/$connect`; the
 *   request is the opening handshake, `GET /`.
 *
 * Method and path always come from the ARN: it is the string API Gateway evaluates the returned
 * policy against, so the request and the policy agree on what "this route" means.
 */
import type { AuthRequest } from '../shared/types.ts';
import { type ExecuteApiArn, InvalidEventError, parseExecuteApiArn } from './arn.ts';

/** Which event shape arrived; logged, and decides whether simple responses are possible. */
export type EventKind = 'token' | 'request' | 'http-v1' | 'http-v2' | 'websocket';

/** An authorizer event, normalised. */
export interface NormalizedEvent {
  readonly kind: EventKind;
  readonly arn: ExecuteApiArn;
  readonly request: AuthRequest;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Normalises an authorizer event. `tokenHeader` is the header the core reads the credential from
 * (`authorization`, or the bare-token header when Bearer is off) and receives a TOKEN event's
 * `authorizationToken`.
 *
 * @throws InvalidEventError for anything that is not an API Gateway authorizer event.
 */
export function normalizeEvent(event: unknown, tokenHeader: string): NormalizedEvent {
  if (!isObject(event)) throw new InvalidEventError('the event is not an object');

  if (event.type === 'TOKEN') {
    const arn = parseExecuteApiArn(event.methodArn);
    const token = typeof event.authorizationToken === 'string' ? event.authorizationToken : null;
    const headers = new Map<string, string>();
    if (token !== null) headers.set(tokenHeader.toLowerCase(), token);
    return { kind: 'token', arn, request: makeRequest(arn, headers, new Map()) };
  }

  if (event.type !== 'REQUEST') throw new InvalidEventError('unknown authorizer event type');

  if (event.version === '2.0') {
    const arn = parseExecuteApiArn(event.routeArn);
    const headers = collectHeaders(event.headers, undefined);
    // Payload 2.0 moves cookies out of the headers into an array; rejoin them as one Cookie
    // header (RFC 6265 §5.4: pairs separated by "; ") so the core reads them as usual.
    if (Array.isArray(event.cookies)) {
      const cookies = event.cookies.filter((c): c is string => typeof c === 'string');
      const previous = headers.get('cookie');
      const joined = [...(previous ? [previous] : []), ...cookies].join('; ');
      if (joined !== '') headers.set('cookie', joined);
    }
    const query = parseQuery(event.rawQueryString, event.queryStringParameters);
    return { kind: 'http-v2', arn, request: makeRequest(arn, headers, query) };
  }

  const arn = parseExecuteApiArn(event.methodArn);
  const headers = collectHeaders(event.headers, event.multiValueHeaders);
  const query = collectQuery(event.queryStringParameters, event.multiValueQueryStringParameters);
  const kind =
    arn.websocketRoute !== undefined
      ? 'websocket'
      : event.version === '1.0'
        ? 'http-v1'
        : 'request';
  return { kind, arn, request: makeRequest(arn, headers, query) };
}

function makeRequest(
  arn: ExecuteApiArn,
  headers: ReadonlyMap<string, string>,
  query: ReadonlyMap<string, string>,
): AuthRequest {
  return {
    method: arn.method,
    path: arn.path,
    header: (name) => headers.get(name.toLowerCase()) ?? null,
    query: (name) => query.get(name) ?? null,
  };
}

/**
 * Merges single- and multi-value headers into lower-case names. Several lines of one header are
 * joined with ", " as `Headers.get` does (RFC 9110 §5.3), so `Authorization` sent twice reaches
 * the core as one malformed value instead of one of the two silently winning (C18); `Cookie`
 * lines are joined with "; " (RFC 9113 §8.2.3). When a name appears in `multiValueHeaders`, that
 * list is complete and the single-value map (which holds only the last line) is not added again.
 */
function collectHeaders(single: unknown, multi: unknown): Map<string, string> {
  const lines = new Map<string, string[]>();
  if (isObject(multi)) {
    for (const [name, values] of Object.entries(multi)) {
      if (!Array.isArray(values)) continue;
      const key = name.toLowerCase();
      const strings = values.filter((v): v is string => typeof v === 'string');
      lines.set(key, [...(lines.get(key) ?? []), ...strings]);
    }
  }
  const fromMulti = new Set(lines.keys());
  if (isObject(single)) {
    for (const [name, value] of Object.entries(single)) {
      const key = name.toLowerCase();
      if (typeof value !== 'string' || fromMulti.has(key)) continue;
      lines.set(key, [...(lines.get(key) ?? []), value]);
    }
  }
  const headers = new Map<string, string>();
  for (const [name, values] of lines) {
    if (values.length > 0) headers.set(name, values.join(name === 'cookie' ? '; ' : ', '));
  }
  return headers;
}

/**
 * Query parameters of REST and payload 1.0 events. A parameter given twice is joined with ",",
 * which no JWT contains, so two query credentials fail to parse instead of one being picked.
 */
function collectQuery(single: unknown, multi: unknown): Map<string, string> {
  const query = new Map<string, string>();
  if (isObject(multi)) {
    for (const [name, values] of Object.entries(multi)) {
      if (!Array.isArray(values)) continue;
      const strings = values.filter((v): v is string => typeof v === 'string');
      if (strings.length > 0) query.set(name, strings.join(','));
    }
  }
  if (isObject(single)) {
    for (const [name, value] of Object.entries(single)) {
      if (typeof value === 'string' && !query.has(name)) query.set(name, value);
    }
  }
  return query;
}

/** Payload 2.0 query: `rawQueryString` when present (exact), else the comma-joined map. */
function parseQuery(raw: unknown, single: unknown): Map<string, string> {
  if (typeof raw !== 'string' || raw === '') return collectQuery(single, undefined);
  const query = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(raw)) {
    const previous = query.get(name);
    query.set(name, previous === undefined ? value : `${previous},${value}`);
  }
  return query;
}
