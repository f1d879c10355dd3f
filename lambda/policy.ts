/**
 * Compiles the route rules into the IAM policy of one verified token.
 *
 * API Gateway caches the policy per identity source (the token) for the authorizer TTL and
 * evaluates it for every later request of the same token, on any route (C20). So the policy must
 * state the token's answer for the whole API, not for the request that happened to arrive first.
 *
 * Two semantics have to agree:
 * - route rules: ordered, the first match wins, no match means "a valid token is enough";
 *   a path `*` is exactly one segment, a trailing `**` any rest;
 * - IAM: a request is allowed when some Allow statement matches and no Deny statement does
 *   (an explicit Deny overrides any Allow); in a Resource, `*` matches any run of characters,
 *   `/` included, and `?` any one character.
 *
 * Compilation, for a token whose claims satisfy some rules (S) and not others (U):
 * 1. Rules after the first catch-all (any method, `/**`) can never match and are dropped. When
 *    there is no catch-all, the default rule (any method, `/**`, satisfied by any valid token)
 *    is appended, so the list always ends with a catch-all.
 * 2. Allow: when the last satisfied rule is the catch-all, one Allow for the whole API
 *    (`{stage}/*\/*`); otherwise the Allow patterns of each satisfied rule, and a Deny for each
 *    pattern's excess (an IAM `*` spanning a `/` where the rule's `*` is one segment), so the
 *    Allows match exactly the requests of satisfied rules.
 * 3. Deny: the patterns of every unsatisfied rule that comes before a satisfied one. An
 *    unsatisfied rule after the last satisfied one needs no Deny: no Allow reaches it.
 * 4. No satisfied rule at all: a single Deny for the whole API.
 * 5. Whenever some rule is unsatisfied, Deny the paths `matchRoute` would read differently from
 *    their text (see {@link NON_CANONICAL}), so no spelling of a path reaches past its rule.
 *
 * Why this never allows more than the rules: a request whose first matching rule is unsatisfied
 * either comes before the last satisfied rule, and matches that rule's Deny patterns (never
 * narrower than the rule, in any spelling) or a step-5 Deny; or comes after it, and then no
 * Allow matches it: it is outside every satisfied rule, so outside their Allows less excess.
 * Deny overrides Allow. The price is the other direction: an unsatisfied rule's Deny also covers
 * requests an earlier satisfied rule allows when the two overlap, and an excess Deny covers the
 * deeper paths of a later satisfied rule (`GET /users/*` then `GET /users/*\/posts`). Such
 * requests are refused (403) though the rules would allow them; the policy is never wider than
 * the rules, only sometimes narrower. `lambda/README.md` lists this among the limits.
 */
import { ruleMethods } from '../shared/routes.ts';
import type { RouteRule } from '../shared/types.ts';

/** One statement in the shape API Gateway documents (`Resource` a single ARN). */
export interface PolicyStatement {
  readonly Action: 'execute-api:Invoke';
  readonly Effect: 'Allow' | 'Deny';
  readonly Resource: string;
}

/** The `policyDocument` of an authorizer answer. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** A compiled policy and what went into it, for the log line. */
export interface CompiledPolicy {
  readonly document: PolicyDocument;
  /** Rules the token satisfies (the default rule included). */
  readonly satisfiedRules: number;
  /** Rules the token does not satisfy. */
  readonly unsatisfiedRules: number;
}

/** The rule a valid token satisfies when no configured rule matches (DESIGN.md, step 2). */
const DEFAULT_RULE: RouteRule = Object.freeze({
  methods: Object.freeze(['*']),
  path: '/**',
  require: Object.freeze({
    kind: 'token' as const,
    scopes: Object.freeze([]),
    scopesMatch: 'all' as const,
    claims: Object.freeze({}),
  }),
  queryParameter: undefined,
});

/**
 * API Gateway limits each `Resource` of an authorizer policy to 512 characters ("Output from an
 * Amazon API Gateway Lambda authorizer"). A longer Deny is cut and ended with `*`, which only
 * widens it; a longer Allow is left out, which only narrows the policy.
 */
export const MAX_RESOURCE_CHARS = 512;

/** The resource that matches every method and path of the stage. */
const WHOLE_API = '*/*';

/**
 * Paths that `matchRoute` reads differently from their text: doubled slashes, dot segments
 * (RFC 3986 §5.2.4) and percent-encoded unreserved characters (RFC 3986 §6.2.2.2; `%41`-`%5A`,
 * `%61`-`%7A`, `%30`-`%39`, `%2D`, `%2E`, `%5F`, `%7E`). `/public/../admin` or `/%61dmin` would
 * otherwise match an Allow pattern by its text while the rules read `/admin`. IAM has no
 * character classes, so `%3?`-`%7?` also refuse some reserved characters in encoded form;
 * that only ever refuses more.
 */
const NON_CANONICAL: readonly string[] = Object.freeze([
  // Spellings a lenient origin reads as other segments (`shared/routes.ts` lenientSegments):
  // path parameters (`/public/..;/admin` is `/admin` to Tomcat), encoded or raw separators.
  '*;*',
  '*%2F*',
  '*%2f*',
  '*\\*',
  '*//*',
  '*/./*',
  '*/../*',
  '*/.',
  '*/..',
  // The further spellings of the lenient reading: double encoding (`%252F`), control
  // characters (`%00` ends a C string, `%09` is dropped by URL parsers), IIS `%u` escapes,
  // overlong UTF-8 (`%c0%ae`), full-width forms (U+FF01-U+FF5E, UTF-8 `EF BC`/`EF BD`), and the
  // trailing dots and spaces Windows cuts from a segment (`/admin./x`).
  '*%25*',
  '*%0?*',
  '*%1?*',
  '*%u*',
  '*%U*',
  '*%c0*',
  '*%C0*',
  '*%c1*',
  '*%C1*',
  '*%e0%80*',
  '*%E0%80*',
  '*%ef%bc*',
  '*%EF%BC*',
  '*%ef%bd*',
  '*%EF%BD*',
  '*./*',
  '*%20/*',
  // The same trimming at the end of the path (`/admin.`, `/admin%20`), and raw spaces.
  '*.',
  '*%20',
  '* /*',
  '* ',
  '*%2D*',
  '*%2d*',
  '*%2E*',
  '*%2e*',
  '*%3?*',
  '*%4?*',
  '*%5?*',
  '*%6?*',
  '*%7?*',
]);

/** Whether a rule matches every request: any method and a path of `/**` (empty segments aside). */
export function isCatchAll(rule: RouteRule): boolean {
  const segments = rule.path.split('/').filter((segment) => segment !== '');
  return rule.methods.includes('*') && segments.length === 1 && segments[0] === '**';
}

/**
 * A rule's `*` segment in IAM: one or more characters, so it never matches the empty segment of
 * `/users/` (which `matchRoute` reads as `/users`, another route).
 */
const ONE_SEGMENT = '?*';

/** A star of an Allow pattern that spans a `/`: one more segment than the rule has. */
const SPANNING = '*/?*';

/**
 * Characters outside RFC 3986 §2.3 unreserved. The core's lenient reading decodes their
 * percent-encoded forms (`%24` is `$`, `%C3%A9` is `é`), and {@link NON_CANONICAL} covers only
 * the encodings of unreserved characters and separators, so a Deny pattern stands `*` for each
 * run of them: `/odata/$batch` is denied as `odata/*batch`, whatever the spelling of `$`.
 */
const NOT_UNRESERVED = /[^A-Za-z0-9\-._~]+/g;

/** `matchRoute` cuts a request path at `?` and `#`: a literal holding one matches no request. */
const UNMATCHABLE = /[?#]/;

/**
 * The IAM patterns of a rule, relative to the ARN prefix, read the way `matchRoute` reads
 * patterns (empty segments ignored). A pattern path is a list of parts: a literal segment, `*`
 * (one segment), `**` (any rest) or `` (the trailing slash `matchRoute` ignores).
 */
export interface RulePatterns {
  /**
   * Allow patterns: the rule's requests in their literal spelling. IAM `*` also crosses `/`, so
   * a star may take in deeper paths the rule does not match; {@link RulePatterns.excess} names
   * them, and together the two are exactly the rule.
   */
  readonly allow: readonly string[];
  /** Deny patterns for what `allow` matches beyond the rule: a star spanning a `/`. */
  readonly excess: readonly string[];
  /** Deny patterns: never narrower than the rule, in any spelling the core holds to it. */
  readonly deny: readonly string[];
}

/**
 * The patterns of a rule. Literal segments stay literal in `allow` and have each run of
 * characters that may be spelled percent-encoded replaced by `*` in `deny`; a `*` segment gives
 * IAM `?*`; a trailing `**` gives the bare prefix and `prefix/*`; a literal ending also gets its
 * trailing-slash form. A method `*` gives IAM `*` (except in the catch-all, where everything is
 * meant anyway), and a `GET` rule also governs `HEAD`, as in `matchRoute`.
 */
export function rulePatterns(rule: RouteRule): RulePatterns {
  if (isCatchAll(rule)) return { allow: [WHOLE_API], excess: [], deny: [WHOLE_API] };

  const segments = rule.path.split('/').filter((segment) => segment !== '');
  const rest = segments.at(-1) === '**';
  const fixed = rest ? segments.slice(0, -1) : segments;
  if (fixed.some((segment) => UNMATCHABLE.test(segment)))
    return { allow: [], excess: [], deny: [] };

  let shapes: string[][];
  if (rest) shapes = fixed.length === 0 ? [['**']] : [fixed, [...fixed, '**']];
  else if (fixed.length === 0 || fixed.at(-1) === '*') shapes = [fixed];
  else shapes = [fixed, [...fixed, '']];

  const anyMethod = rule.methods.includes('*');
  const methods = anyMethod ? ['*'] : ruleMethods(rule);
  const allow: string[] = [];
  const excess: string[] = [];
  const deny: string[] = [];
  for (const method of methods) {
    for (const parts of shapes) {
      allow.push(render(method, parts, literalAllow));
      deny.push(render(method, parts, literalDeny));
      // Stars that may span a `/` beyond the rule: with a rest, only a star with a literal after
      // it (`/a/*/**` takes `/a/x/y` anyway; `/a/*/b/**` does not take `/a/x/y/b`).
      const spans = (at: number) => !rest || fixed.slice(at + 1).some((part) => part !== '*');
      if (anyMethod && spans(-1)) excess.push(render(SPANNING, parts, literalAllow));
      parts.forEach((part, at) => {
        if (part === '*' && spans(at)) excess.push(render(method, parts, literalAllow, at));
      });
    }
  }
  return { allow: unique(allow), excess: unique(excess), deny: unique(deny) };
}

const literalAllow = (segment: string) => segment;
const literalDeny = (segment: string) => segment.replace(NOT_UNRESERVED, '*');

/** `{method}/{path}` of a pattern shape; the star at `spanning` spans a `/`. */
function render(
  method: string,
  parts: readonly string[],
  literal: (segment: string) => string,
  spanning?: number,
): string {
  const path = parts.map((part, at) => {
    if (part === '**') return '*';
    if (part === '*') return at === spanning ? SPANNING : ONE_SEGMENT;
    return literal(part);
  });
  return `${method}/${path.join('/')}`;
}

const unique = (values: readonly string[]) => [...new Set(values)];

/**
 * Compiles the policy for a token under `rules`. `satisfies` says whether the token meets a
 * rule's requirement (public rules are satisfied); `prefix` is the event ARN's
 * `arn:...:{apiId}/{stage}/`, the only place resources are anchored to. `alsoDeny` adds Deny
 * resources (relative to `prefix`): the handler names the current request there when the rules
 * refuse it in a spelling no pattern covers (a case variant, say).
 */
export function compilePolicy(
  rules: readonly RouteRule[],
  satisfies: (rule: RouteRule) => boolean,
  prefix: string,
  alsoDeny: readonly string[] = [],
): CompiledPolicy {
  // Step 1: the effective list, ending with a catch-all.
  const effective: RouteRule[] = [];
  for (const rule of rules) {
    effective.push(rule);
    if (isCatchAll(rule)) break;
  }
  const last = effective.at(-1);
  if (last === undefined || !isCatchAll(last)) effective.push(DEFAULT_RULE);

  const status = effective.map((rule) => rule === DEFAULT_RULE || satisfies(rule));
  const satisfiedRules = status.filter(Boolean).length;
  const unsatisfiedRules = status.length - satisfiedRules;
  const lastSatisfied = status.lastIndexOf(true);

  // Step 4: nothing allowed.
  if (lastSatisfied < 0) {
    return {
      document: documentOf([], [WHOLE_API], prefix),
      satisfiedRules,
      unsatisfiedRules,
    };
  }

  // Step 2: Allow patterns, each cut back to its rule by the Deny of its excess.
  const allow = new Set<string>();
  const deny = new Set<string>();
  if (isCatchAll(effective[lastSatisfied]!)) {
    allow.add(WHOLE_API);
  } else {
    for (const [index, rule] of effective.entries()) {
      if (!status[index]) continue;
      const patterns = rulePatterns(rule);
      for (const resource of patterns.allow) allow.add(resource);
      for (const resource of patterns.excess) deny.add(resource);
    }
  }

  // Step 3: Deny patterns of the unsatisfied rules that an Allow could otherwise reach (those
  // before the last satisfied rule), and the non-canonical paths whenever some rule is unmet.
  for (const [index, rule] of effective.entries()) {
    if (status[index] || index > lastSatisfied) continue;
    for (const resource of rulePatterns(rule).deny) deny.add(resource);
  }
  if (unsatisfiedRules > 0) for (const resource of NON_CANONICAL) deny.add(resource);
  for (const resource of alsoDeny) deny.add(resource);

  return {
    document: documentOf([...allow], [...deny], prefix),
    satisfiedRules,
    unsatisfiedRules,
  };
}

/**
 * The policy of a WebSocket `$connect` request: its route allowed or denied. A WebSocket API
 * calls its authorizer for `$connect` alone, so the route is all a cached answer can apply to.
 */
export function connectPolicy(prefix: string, route: string, allowed: boolean): PolicyDocument {
  return documentOf(allowed ? [route] : [], allowed ? [] : [route], prefix);
}

function documentOf(
  allow: readonly string[],
  deny: readonly string[],
  prefix: string,
): PolicyDocument {
  const statement = (Effect: 'Allow' | 'Deny', Resource: string): PolicyStatement => ({
    Action: 'execute-api:Invoke',
    Effect,
    Resource,
  });
  const allowed = allow
    .map((resource) => `${prefix}${resource}`)
    .filter((resource) => resource.length <= MAX_RESOURCE_CHARS);
  const denied = deny.map((resource) => {
    const full = `${prefix}${resource}`;
    return full.length <= MAX_RESOURCE_CHARS ? full : `${full.slice(0, MAX_RESOURCE_CHARS - 1)}*`;
  });
  return {
    Version: '2012-10-17',
    Statement: [
      ...allowed.map((resource) => statement('Allow', resource)),
      ...[...new Set(denied)].map((resource) => statement('Deny', resource)),
    ],
  };
}
