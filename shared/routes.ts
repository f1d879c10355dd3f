/**
 * Route rules: ordered, declarative pairs of method and path pattern to a requirement. The
 * Worker matches them per request; the Lambda compiles the same data into an IAM policy, so a
 * rule never holds code. Patterns: literal segments, `*` for exactly one segment, and a
 * trailing `**` for any rest, including none.
 */
import { AuthError } from './errors.ts';
import type { AuthRequest, Identity, Requirement, RouteRule } from './types.ts';

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
 * (`%2F`) stay inside their segment: this is the literal reading; {@link lenientSegments}
 * is the other one.
 */
export function pathSegments(path: string): string[] {
  const withoutQuery = path.split(/[?#]/, 1)[0] ?? '';
  return resolveDots(withoutQuery.split('/'));
}

/** Decodes unreserved characters and resolves dot segments (RFC 3986 §5.2.4). */
function resolveDots(raw: readonly string[]): string[] {
  const segments: string[] = [];
  for (const part of raw) {
    const segment = part.replace(ENCODED_UNRESERVED, (hex) =>
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

/** Path parameters (`;jsessionid=...`, RFC 3986 §3.3) at the end of a raw segment. */
const PATH_PARAMETERS = /;.*$/;
/** Percent-decoding rounds of the lenient reading: `%252F` is `/` to an origin that decodes twice. */
const DECODE_ROUNDS = 3;
/** Anything that makes the lenient reading differ from the literal one beyond case. */
const NEEDS_LENIENT = /[^\x20-\x7e]|[%\\;\s]|[. ](?:\/|$)/;

/**
 * The path as a lenient origin reads it, so that no spelling reaches past a rule at such an
 * origin ({@link matchRoutes} holds a request to the rules of this reading and the literal one):
 *
 * - percent-escapes decoded up to {@link DECODE_ROUNDS} times, IIS `%uXXXX` escapes and
 *   overlong UTF-8 (`%c0%ae` is `.` to a decoder that does not check, CVE-2000-0884) included;
 * - tab, CR and LF removed (the WHATWG URL parser drops them), the path cut at a NUL (C strings);
 * - compatibility forms folded (Unicode NFKC: full-width `ＡＤＭＩＮ` is `ADMIN`), then lower case;
 * - `/` and `\` as separators (servers that decode before routing, Windows hosts);
 * - path parameters cut from each segment before dot segments are resolved (Tomcat, Jetty and
 *   Spring do, so `/public/..;/admin` is `/admin` there);
 * - trailing dots and spaces cut from each segment, as Windows does with file names.
 */
export function lenientSegments(path: string): string[] {
  const withoutQuery = path.split(/[?#]/, 1)[0] ?? '';
  if (!NEEDS_LENIENT.test(withoutQuery)) {
    return resolveDots(withoutQuery.split('/')).map((segment) => segment.toLowerCase());
  }
  let text = withoutQuery;
  for (let round = 0; round < DECODE_ROUNDS && text.includes('%'); round++) {
    const decoded = decodeLeniently(text);
    if (decoded === text) break;
    text = decoded;
  }
  text = text.replace(/[\t\r\n]/g, '');
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  const raw = text
    .normalize('NFKC')
    .split(/[/\\]/)
    .map((segment) => windowsName(segment.replace(PATH_PARAMETERS, '')));
  return resolveDots(raw).map((segment) => segment.toLowerCase());
}

/** A segment as Windows names it: trailing dots and spaces dropped, `.` and `..` kept. */
function windowsName(segment: string): string {
  return segment === '.' || segment === '..' ? segment : segment.replace(/[. ]+$/, '');
}

/**
 * One round of percent-decoding that never fails: `%uXXXX` as a UTF-16 unit, runs of `%XX` as
 * UTF-8 read without the checks a strict decoder makes (overlong forms accepted), and a byte
 * that starts no sequence as the Latin-1 character of that value.
 */
function decodeLeniently(text: string): string {
  return text
    .replace(/%u([0-9a-f]{4})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
      const bytes: number[] = [];
      for (let i = 0; i < run.length; i += 3) bytes.push(parseInt(run.slice(i + 1, i + 3), 16));
      return utf8Leniently(bytes);
    });
}

function utf8Leniently(bytes: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    const length = lead >= 0xf8 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    const tail = bytes.slice(i + 1, i + length);
    if (length === 1 || tail.length < length - 1 || tail.some((b) => (b & 0xc0) !== 0x80)) {
      out += String.fromCharCode(lead);
      i++;
      continue;
    }
    let code = lead & (0xff >> (length + 1));
    for (const b of tail) code = (code << 6) | (b & 0x3f);
    out += code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
    i += length;
  }
  return out;
}

/** Whether the pattern's segments match the path's segments (`fold`: ignoring case). */
function matchSegments(
  pattern: readonly string[],
  path: readonly string[],
  fold: boolean,
): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    if (part === '**') return true;
    if (i >= path.length) return false;
    if (part !== '*' && (fold ? part.toLowerCase() : part) !== path[i]) return false;
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

/**
 * The methods a rule applies to. A rule for `GET` also covers `HEAD`: origins answer `HEAD`
 * with the `GET` handler, minus the body (RFC 9110 §9.3.2), so a `GET` rule that left `HEAD` to
 * the default requirement would let any valid token read what the rule guards in its headers.
 */
export function ruleMethods(rule: RouteRule): readonly string[] {
  return rule.methods.includes('GET') && !rule.methods.includes('HEAD')
    ? [...rule.methods, 'HEAD']
    : rule.methods;
}

function methodMatches(rule: RouteRule, method: string): boolean {
  const upper = method.toUpperCase();
  return (
    rule.methods.includes('*') ||
    rule.methods.includes(upper) ||
    (upper === 'HEAD' && rule.methods.includes('GET'))
  );
}

/** Whether `rule` applies to `method` and the path already split by {@link pathSegments}. */
export function ruleMatches(rule: RouteRule, method: string, segments: readonly string[]): boolean {
  return methodMatches(rule, method) && matchSegments(patternOf(rule), segments, false);
}

/**
 * The first rule that applies to `method` and `path` in its literal reading, or `undefined`
 * (then a valid token is required, see {@link DEFAULT_REQUIREMENT}).
 */
export function matchRoute(
  rules: readonly RouteRule[],
  method: string,
  path: string,
): RouteRule | undefined {
  const segments = pathSegments(path);
  return rules.find((rule) => ruleMatches(rule, method, segments));
}

/**
 * The rules a request is held to: the first match of the literal reading ({@link pathSegments})
 * and, when it differs, the first match of the lenient reading ({@link lenientSegments}), each
 * `undefined` for "no rule". The gate cannot know which reading the origin applies, so the
 * request passes as public only when every reading is public, and otherwise must meet the
 * requirement of each. The first entry is the literal reading's.
 */
export function matchRoutes(
  rules: readonly RouteRule[],
  method: string,
  path: string,
): (RouteRule | undefined)[] {
  // Without rules every reading ends at the default requirement: nothing to split or decode.
  if (rules.length === 0) return [undefined];
  const literal = matchRoute(rules, method, path);
  const segments = lenientSegments(path);
  const lenient = rules.find(
    (rule) => methodMatches(rule, method) && matchSegments(patternOf(rule), segments, true),
  );
  return lenient === literal ? [literal] : [literal, lenient];
}

/**
 * Headers and the query parameter through which origin frameworks let a request stand for
 * another method (Express `method-override`, Symfony, Rails and Laravel `_method`): a `POST`
 * carrying `X-HTTP-Method-Override: DELETE` is a `DELETE` to such an origin.
 */
const METHOD_OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'];
const METHOD_OVERRIDE_PARAMETER = '_method';
/** An RFC 9110 §9.1 method name, as overrides spell them (letters only; case is folded). */
const METHOD_NAME = /^[A-Za-z]+$/;

/**
 * The methods an origin may take the request for: its own first, then every method an override
 * header or `_method` parameter names. A form body's `_method` is not read: the gate does not
 * read bodies (README, limits).
 */
export function methodReadings(req: AuthRequest): string[] {
  const methods = [req.method.toUpperCase()];
  const add = (value: string | null) => {
    if (value === null) return;
    for (const part of value.split(',')) {
      const method = part.trim().toUpperCase();
      if (METHOD_NAME.test(method) && !methods.includes(method)) methods.push(method);
    }
  };
  for (const name of METHOD_OVERRIDE_HEADERS) add(req.header(name));
  add(req.query(METHOD_OVERRIDE_PARAMETER));
  return methods;
}

/**
 * The rules a request is held to: {@link matchRoutes} for each of its {@link methodReadings},
 * without repeats. The first entry is the literal path reading of the request's own method.
 */
export function heldRules(
  rules: readonly RouteRule[],
  req: AuthRequest,
): (RouteRule | undefined)[] {
  if (rules.length === 0) return [undefined];
  const held: (RouteRule | undefined)[] = [];
  for (const method of methodReadings(req)) {
    for (const rule of matchRoutes(rules, method, req.path)) {
      if (!held.includes(rule)) held.push(rule);
    }
  }
  return held;
}

/** Scopes of a payload: `scope` (RFC 8693 §4.2, space-separated) and `scp` (string or array). */
export function scopesOf(payload: Readonly<Record<string, unknown>>): string[] {
  // Runs on every verification: plain loops, no closure or Set for a claim of a few scopes.
  const scopes: string[] = [];
  addScopes(scopes, payload.scope);
  const scp = payload.scp;
  if (Array.isArray(scp)) for (const value of scp) addScopes(scopes, value);
  else addScopes(scopes, scp);
  return scopes;
}

/** Above this many scopes, duplicates are found with a Set instead of a linear search. */
const LINEAR_DEDUPLICATION = 16;

/** Appends the space-separated scopes of `value` not already in `scopes`, in order. */
function addScopes(scopes: string[], value: unknown): void {
  if (typeof value !== 'string') return;
  const parts = value.split(' ');
  if (scopes.length + parts.length > LINEAR_DEDUPLICATION) {
    const unique = new Set([...scopes, ...parts]);
    unique.delete('');
    scopes.length = 0;
    for (const scope of unique) scopes.push(scope);
    return;
  }
  for (const scope of parts) if (scope !== '' && !scopes.includes(scope)) scopes.push(scope);
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
