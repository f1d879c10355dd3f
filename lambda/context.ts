/**
 * The `context` object of an authorizer answer. API Gateway passes it to the integration
 * (`$context.authorizer.<key>`, `event.requestContext.authorizer`), and answers 500 to the client
 * when a REST or payload 1.0 response carries a value that is not a string, number or boolean
 * (C21). So every value is flattened here, and the whole object is kept small.
 */
import type { Identity } from '../shared/types.ts';

/** A context value API Gateway accepts in every response format. */
export type ContextValue = string | number | boolean;

/** A flat context and the keys left out because the size bound was reached. */
export interface FlatContext {
  readonly context: Record<string, ContextValue>;
  readonly dropped: readonly string[];
}

/**
 * Upper bound of the serialised context, in bytes. API Gateway does not publish one number for
 * the authorizer response, but the context ends up in integration headers and mapping templates
 * with limits of around 10 KiB; a few KiB leaves room for the policy beside it.
 */
export const MAX_CONTEXT_BYTES = 4096;

const encoder = new TextEncoder();

/**
 * Keys API Gateway sets itself beside the context: `$context.authorizer.principalId` in mapping
 * templates, `principalId` and `integrationLatency` in a proxy integration's
 * `requestContext.authorizer`. A forwarded claim under one of them would stand in for the
 * principal there, so such a key is never written (compared without case).
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['principalid', 'integrationlatency']);

/**
 * Flattens one claim value: strings, finite numbers and booleans pass; `null` and `undefined`
 * are dropped (`undefined` is returned); an array of plain values whose strings contain no ","
 * is joined with ","; any other array and every object is JSON-encoded, so nothing is lost and
 * nothing nested reaches API Gateway.
 */
export function flattenValue(value: unknown): ContextValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const joinable = value.every(
      (item) =>
        typeof item === 'number' ||
        typeof item === 'boolean' ||
        (typeof item === 'string' && !item.includes(',')),
    );
    return joinable ? value.join(',') : JSON.stringify(value);
  }
  if (typeof value === 'object') return JSON.stringify(value);
  // Functions, symbols and bigints cannot come out of JSON.parse; drop rather than guess.
  return undefined;
}

/**
 * Builds the context of an allowed token: `sub`, `iss` and `scope` (space-separated, as in
 * RFC 8693 §4.2) first, then each claim of `forwardClaims` under its configured key, except the
 * keys API Gateway reserves (`principalId`, `integrationLatency`). Entries are
 * added in that order until {@link MAX_CONTEXT_BYTES} is reached; the keys that did not fit are
 * returned so the log line can name them.
 */
export function buildContext(
  identity: Identity,
  forwardClaims: Readonly<Record<string, string>>,
  maxBytes: number = MAX_CONTEXT_BYTES,
): FlatContext {
  const entries: [string, unknown][] = [
    ['sub', identity.subject],
    ['iss', identity.iss],
    ['scope', identity.scopes.length > 0 ? identity.scopes.join(' ') : undefined],
  ];
  for (const [claim, key] of Object.entries(forwardClaims)) {
    entries.push([key, identity.payload[claim]]);
  }

  const context: Record<string, ContextValue> = {};
  const dropped: string[] = [];
  // `{}` is two bytes; each entry adds `"key":value` and a comma.
  let size = 2;
  for (const [key, raw] of entries) {
    const value = flattenValue(raw);
    if (value === undefined || Object.hasOwn(context, key)) continue;
    if (RESERVED_KEYS.has(key.toLowerCase())) continue;
    const cost = encoder.encode(`${JSON.stringify(key)}:${JSON.stringify(value)},`).length;
    if (size + cost > maxBytes) {
      dropped.push(key);
      continue;
    }
    context[key] = value;
    size += cost;
  }
  return { context, dropped };
}
