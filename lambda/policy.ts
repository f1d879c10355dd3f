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
 *    (`{stage}/*\/*`); otherwise one Allow per resource pattern of each satisfied rule.
 * 3. Deny: the resource patterns of every unsatisfied rule that comes before a satisfied one.
 *    An unsatisfied rule after the last satisfied one needs no Deny when every Allow pattern is
 *    exact (matches precisely the requests its rule matches): nothing allows those requests.
 *    When an Allow pattern is wider than its rule, every unsatisfied rule gets its Deny.
 * 4. No satisfied rule at all: a single Deny for the whole API.
 * 5. Whenever some rule is unsatisfied, Deny the paths `matchRoute` would read differently from
 *    their text (see {@link NON_CANONICAL}), so no spelling of a path reaches past its rule.
 *
 * Why this never allows more than the rules: a request whose first matching rule is unsatisfied
 * matches that rule's Deny patterns when its path is canonical (the patterns are never narrower
 * than the rule: `*` stands for one segment and matches more), or a step-5 Deny when it is not;
 * and Deny overrides Allow. The only omitted Denies are for rules no Allow can reach. The price
 * is the other direction: an unsatisfied rule's Deny also covers requests an earlier satisfied
 * rule allows when the two overlap, and a `*` segment's Deny covers deeper paths. Such requests
 * are refused (403) though the rules would allow them; the policy is never wider than the rules,
 * only sometimes narrower. `lambda/README.md` lists this among the limits.
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

/** The IAM resource patterns of a rule, relative to the ARN prefix, and whether they are exact. */
export interface RulePatterns {
  /** `{METHOD}/{path}` patterns, e.g. `GET/users/*`. */
  readonly resources: readonly string[];
  /** True when the patterns match exactly the method/path pairs the rule matches. */
  readonly exact: boolean;
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
 * The IAM patterns of a rule, read the way `matchRoute` reads patterns (empty segments ignored).
 * Path `*` becomes IAM `*` (wider: it also crosses `/`); a trailing `**` becomes `*` plus the
 * bare prefix (`/a/**` also matches `/a`); literal segments stay literal unless they contain IAM
 * wildcard characters, and a literal ending also gets its trailing-slash form, since
 * `matchRoute` ignores the empty last segment of `/a/`. A method `*` becomes IAM `*` (wider: it
 * can swallow path segments too), except in the catch-all, where everything is meant anyway.
 */
export function rulePatterns(rule: RouteRule): RulePatterns {
  if (isCatchAll(rule)) return { resources: [WHOLE_API], exact: true };

  const anyMethod = rule.methods.includes('*');
  let exact = !anyMethod;
  const segments = rule.path.split('/').filter((segment) => segment !== '');
  const rest = segments.at(-1) === '**';
  const fixed = rest ? segments.slice(0, -1) : segments;
  for (const segment of fixed) {
    if (segment === '*' || segment === '**' || /[*?]/.test(segment)) exact = false;
  }
  const base = fixed.map((segment) => (segment === '**' ? '*' : segment)).join('/');

  let paths: string[];
  if (rest) paths = base === '' ? ['*'] : [base, `${base}/*`];
  else if (base === '' || fixed.at(-1) === '*') paths = [base];
  else paths = [base, `${base}/`];

  // A `GET` rule also governs `HEAD`, as in `matchRoute`.
  const methods = anyMethod ? ['*'] : ruleMethods(rule);
  const resources = methods.flatMap((method) => paths.map((path) => `${method}/${path}`));
  return { resources: [...new Set(resources)], exact };
}

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

  // Step 2: Allow patterns.
  const allow = new Set<string>();
  let allowExact = true;
  const lastRule = effective[lastSatisfied]!;
  if (isCatchAll(lastRule)) {
    allow.add(WHOLE_API);
  } else {
    for (const [index, rule] of effective.entries()) {
      if (!status[index]) continue;
      const patterns = rulePatterns(rule);
      allowExact &&= patterns.exact;
      for (const resource of patterns.resources) allow.add(resource);
    }
  }

  // Step 3: Deny patterns, and the non-canonical paths whenever some rule is unsatisfied.
  const deny = new Set<string>();
  for (const [index, rule] of effective.entries()) {
    if (status[index]) continue;
    if (index > lastSatisfied && allowExact) continue;
    for (const resource of rulePatterns(rule).resources) deny.add(resource);
  }
  if (unsatisfiedRules > 0) for (const resource of NON_CANONICAL) deny.add(resource);
  for (const resource of alsoDeny) deny.add(resource);

  return {
    document: documentOf([...allow], [...deny], prefix),
    satisfiedRules,
    unsatisfiedRules,
  };
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
