/**
 * Route rules: ordered, declarative pairs of method and path pattern to a requirement. The
 * Worker matches them per request; the Lambda compiles the same data into an IAM policy, so a
 * rule never holds code. Patterns: literal segments, `*` for exactly one segment, and a
 * trailing `**` for any rest, including none.
 */
import { AuthError } from './errors.ts';
import type { Identity, Requirement, RouteRule } from './types.ts';

/** The requirement when no rule matches: a valid token, nothing more (DESIGN.md step 2). */
export const DEFAULT_REQUIREMENT: Requirement = Object.freeze({
  kind: 'token',
  scopes: Object.freeze([]),
  scopesMatch: 'all',
  claims: Object.freeze({}),
});

/** RFC 3986 §2.3 unreserved characters: percent-encoding them changes nothing (§6.2.2.2). */
const ENCODED_UNRESERVED = /%(4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)/gi;

/**
 * Splits a request path into the segments an origin would see: empty segments dropped,
 * percent-encoded unreserved characters decoded, dot segments resolved (RFC 3986 §5.2.4).
 * Without this, `//admin`, `/%61dmin` or `/public/../admin` would slip past an `/admin/**`
 * rule into the default requirement while the origin serves `/admin`. Encoded slashes
 * (`%2F`) stay inside their segment.
 */
export function pathSegments(path: string): string[] {
  const withoutQuery = path.split(/[?#]/, 1)[0] ?? '';
  const segments: string[] = [];
  for (const raw of withoutQuery.split('/')) {
    const segment = raw.replace(ENCODED_UNRESERVED, (hex) =>
      String.fromCharCode(parseInt(hex.slice(1), 16)),
    );
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  return segments;
}

/** Whether the pattern's segments match the path's segments. */
function matchSegments(pattern: readonly string[], path: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i];
    if (part === '**') return true;
    if (i >= path.length) return false;
    if (part !== '*' && part !== path[i]) return false;
  }
  return pattern.length === path.length;
}

const patternCache = new WeakMap<RouteRule, readonly string[]>();

function patternOf(rule: RouteRule): readonly string[] {
  let segments = patternCache.get(rule);
  if (!segments) {
    segments = rule.path.split('/').filter((s) => s !== '');
    patternCache.set(rule, segments);
  }
  return segments;
}

/** Whether `rule` applies to `method` and the path already split by {@link pathSegments}. */
export function ruleMatches(rule: RouteRule, method: string, segments: readonly string[]): boolean {
  const methodOk = rule.methods.includes('*') || rule.methods.includes(method.toUpperCase());
  return methodOk && matchSegments(patternOf(rule), segments);
}

/**
 * The first rule that applies to `method` and `path`, or `undefined` (then a valid token is
 * required, see {@link DEFAULT_REQUIREMENT}).
 */
export function matchRoute(
  rules: readonly RouteRule[],
  method: string,
  path: string,
): RouteRule | undefined {
  const segments = pathSegments(path);
  return rules.find((rule) => ruleMatches(rule, method, segments));
}

/** Scopes of a payload: `scope` (RFC 8693 §4.2, space-separated) and `scp` (string or array). */
export function scopesOf(payload: Readonly<Record<string, unknown>>): string[] {
  const scopes = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === 'string') for (const s of value.split(' ')) if (s !== '') scopes.add(s);
  };
  add(payload.scope);
  const scp = payload.scp;
  if (Array.isArray(scp)) scp.forEach(add);
  else add(scp);
  return [...scopes];
}

/** A claim by name, or by a dotted path (`realm_access.roles`) when no claim has that name. */
function claimValue(payload: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part))
      return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function claimSatisfied(value: unknown, accepted: readonly (string | number | boolean)[]): boolean {
  const values = Array.isArray(value) ? value : [value];
  return values.some((v) => accepted.includes(v as string | number | boolean));
}

/**
 * Checks a verified identity against a route's requirement.
 * @throws AuthError `insufficient_scope` with `detail.requiredScopes` (and `detail.claim` when
 * a claim value is what failed).
 */
export function checkRequirement(requirement: Requirement, identity: Identity): void {
  if (requirement.kind === 'public') return;
  const { scopes, scopesMatch, claims } = requirement;
  if (scopes.length > 0) {
    const held = identity.scopes;
    const ok =
      scopesMatch === 'any'
        ? scopes.some((s) => held.includes(s))
        : scopes.every((s) => held.includes(s));
    if (!ok) {
      throw new AuthError('insufficient_scope', 'token lacks a required scope', {
        requiredScopes: scopes,
      });
    }
  }
  for (const [name, accepted] of Object.entries(claims)) {
    if (!claimSatisfied(claimValue(identity.payload, name), accepted)) {
      throw new AuthError('insufficient_scope', 'token lacks a required claim value', {
        claim: name,
        requiredScopes: scopes,
      });
    }
  }
}
