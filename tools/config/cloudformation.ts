/**
 * Reads a SAM/CloudFormation template far enough to check the authorizer's configuration:
 * the short-form intrinsic tags (`!Ref`, `!Sub`, `!GetAtt`, ...) parse, and the Lambda
 * functions' environment variables resolve against the parameters' defaults (or values the
 * user supplies, as `sam deploy --parameter-overrides` would).
 */
import { parse, type Tags } from 'yaml';

/** An intrinsic function kept as data: `{ fn: 'Ref', arg: 'JwtIssuer' }`. */
export interface Intrinsic {
  readonly fn: string;
  readonly arg: unknown;
}

const INTRINSICS = [
  'Ref',
  'Sub',
  'GetAtt',
  'Join',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'FindInMap',
  'Select',
  'Split',
  'ImportValue',
  'Base64',
  'Cidr',
  'GetAZs',
  'Condition',
  'Transform',
  'ToJsonString',
  'Length',
];

/** yaml custom tags for every intrinsic, in scalar, sequence and mapping form. */
function intrinsicTags(): Tags {
  return INTRINSICS.flatMap((fn) =>
    (['scalar', 'seq', 'map'] as const).map((collection) => ({
      tag: `!${fn}`,
      ...(collection === 'scalar' ? {} : { collection }),
      resolve: (value: unknown) => ({
        fn,
        arg:
          typeof value === 'object' && value !== null && 'toJSON' in value
            ? (value as { toJSON(): unknown }).toJSON()
            : value,
      }),
    })),
  ) as unknown as Tags;
}

/** Parses template text; intrinsics become {@link Intrinsic} objects. */
export function parseTemplate(text: string): Record<string, unknown> {
  const document = parse(text, { customTags: intrinsicTags() }) as unknown;
  if (typeof document !== 'object' || document === null) {
    throw new Error('the template is not a YAML mapping');
  }
  return document as Record<string, unknown>;
}

/** Values for the pseudo parameters, so `!Sub` of an ARN still resolves for a check. */
const PSEUDO: Record<string, string> = {
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws',
  'AWS::StackName': 'stack',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** What a value resolved to, or why it could not be. */
export type Resolved =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: string };

function isIntrinsic(value: unknown): value is Intrinsic {
  return typeof value === 'object' && value !== null && 'fn' in value && 'arg' in value;
}

/** Also accepts the long form (`{ "Ref": "X" }`, `{ "Fn::Sub": "..." }`). */
function asIntrinsic(value: unknown): Intrinsic | undefined {
  if (isIntrinsic(value)) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length !== 1) return undefined;
  const [key, arg] = entries[0] as [string, unknown];
  if (key === 'Ref') return { fn: 'Ref', arg };
  // `{ Condition: Name }` is how a condition refers to another one in the long form.
  if (key === 'Condition') return { fn: 'Condition', arg };
  if (key.startsWith('Fn::')) return { fn: key.slice(4), arg };
  return undefined;
}

/**
 * What `!Ref AWS::NoValue` resolves to: the property is left out, as CloudFormation leaves it
 * out (an environment variable chosen away by `!If` is not set at all, which is not the same as
 * set to an empty string).
 */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/** A template's `Conditions` section: condition name to its expression. */
export type Conditions = Readonly<Record<string, unknown>>;

/** The truth of a condition expression (`Equals`, `Not`, `And`, `Or`, `Condition`). */
function evaluateCondition(
  expression: unknown,
  parameters: Record<string, string>,
  conditions: Conditions,
  seen: ReadonlySet<string>,
): { ok: true; value: boolean } | { ok: false; reason: string } {
  if (typeof expression === 'boolean') return { ok: true, value: expression };
  const intrinsic = asIntrinsic(expression);
  if (intrinsic?.fn === 'Condition' && typeof intrinsic.arg === 'string') {
    return namedCondition(intrinsic.arg, parameters, conditions, seen);
  }
  const items = Array.isArray(intrinsic?.arg) ? (intrinsic.arg as unknown[]) : undefined;
  if (intrinsic?.fn === 'Equals' && items?.length === 2) {
    const [left, right] = items.map((item) => resolveValue(item, parameters, conditions));
    if (!left?.ok) return left as { ok: false; reason: string };
    if (!right?.ok) return right as { ok: false; reason: string };
    return { ok: true, value: String(left.value) === String(right.value) };
  }
  if (items !== undefined && ['Not', 'And', 'Or'].includes(intrinsic?.fn ?? '')) {
    const values: boolean[] = [];
    for (const item of items) {
      const result = evaluateCondition(item, parameters, conditions, seen);
      if (!result.ok) return result;
      values.push(result.value);
    }
    if (intrinsic?.fn === 'Not') return { ok: true, value: !values[0] };
    if (intrinsic?.fn === 'And') return { ok: true, value: values.every(Boolean) };
    return { ok: true, value: values.some(Boolean) };
  }
  return { ok: false, reason: 'a condition this check cannot evaluate' };
}

function namedCondition(
  name: string,
  parameters: Record<string, string>,
  conditions: Conditions,
  seen: ReadonlySet<string>,
): { ok: true; value: boolean } | { ok: false; reason: string } {
  if (!Object.hasOwn(conditions, name) || seen.has(name)) {
    return { ok: false, reason: `condition ${name} is not declared in Conditions` };
  }
  return evaluateCondition(conditions[name], parameters, conditions, new Set([...seen, name]));
}

/**
 * Resolves a value against parameter values. `Ref`, `Sub` and `Join` are evaluated, and `If`
 * when its condition is declared in `conditions` and depends only on parameters; `!Ref
 * AWS::NoValue` resolves to {@link NO_VALUE}.
 */
export function resolveValue(
  value: unknown,
  parameters: Record<string, string>,
  conditions: Conditions = {},
): Resolved {
  const intrinsic = asIntrinsic(value);
  if (!intrinsic) return { ok: true, value };

  if (intrinsic.fn === 'Ref' && intrinsic.arg === 'AWS::NoValue')
    return { ok: true, value: NO_VALUE };
  if (intrinsic.fn === 'If' && Array.isArray(intrinsic.arg) && intrinsic.arg.length === 3) {
    const [name, whenTrue, whenFalse] = intrinsic.arg as [unknown, unknown, unknown];
    if (typeof name !== 'string') return { ok: false, reason: '!If without a condition name' };
    const condition = namedCondition(name, parameters, conditions, new Set());
    if (!condition.ok) return condition;
    return resolveValue(condition.value ? whenTrue : whenFalse, parameters, conditions);
  }

  if (intrinsic.fn === 'Ref' && typeof intrinsic.arg === 'string') {
    const name = intrinsic.arg;
    const found = parameters[name] ?? PSEUDO[name];
    return found !== undefined
      ? { ok: true, value: found }
      : { ok: false, reason: `!Ref ${name} has no default value; pass --parameter ${name}=...` };
  }
  if (intrinsic.fn === 'Sub') {
    const [template, variables] = Array.isArray(intrinsic.arg)
      ? [intrinsic.arg[0], (intrinsic.arg[1] ?? {}) as Record<string, unknown>]
      : [intrinsic.arg, {}];
    if (typeof template !== 'string') return { ok: false, reason: '!Sub without a string' };
    let problem: string | undefined;
    const text = template.replace(/\$\{([^}!]+)\}/g, (whole, name: string) => {
      const local = variables[name];
      const resolved =
        local !== undefined
          ? resolveValue(local, parameters, conditions)
          : resolveValue({ fn: 'Ref', arg: name }, parameters, conditions);
      if (resolved.ok && typeof resolved.value !== 'object') return String(resolved.value);
      problem ??= resolved.ok ? `\${${name}} is not a plain value` : resolved.reason;
      return whole;
    });
    return problem === undefined ? { ok: true, value: text } : { ok: false, reason: problem };
  }
  if (intrinsic.fn === 'Join' && Array.isArray(intrinsic.arg)) {
    const [separator, items] = intrinsic.arg as [unknown, unknown];
    if (typeof separator !== 'string' || !Array.isArray(items)) {
      return { ok: false, reason: '!Join needs a separator and a list' };
    }
    const parts: string[] = [];
    for (const item of items) {
      const resolved = resolveValue(item, parameters, conditions);
      if (!resolved.ok) return resolved;
      parts.push(String(resolved.value));
    }
    return { ok: true, value: parts.join(separator) };
  }
  return { ok: false, reason: `!${intrinsic.fn} is evaluated only at deploy time` };
}

/** Parameter defaults, overridden by `overrides`. */
export function parameterValues(
  template: Record<string, unknown>,
  overrides: Record<string, string>,
): Record<string, string> {
  const values: Record<string, string> = {};
  const parameters = (template.Parameters ?? {}) as Record<string, { Default?: unknown }>;
  for (const [name, parameter] of Object.entries(parameters)) {
    if (parameter?.Default !== undefined) values[name] = String(parameter.Default);
  }
  return { ...values, ...overrides };
}

/**
 * The names among `names` that the template's `Parameters` do not declare. CloudFormation
 * refuses such an override at deploy time; a local check that ignored it would pass a typo.
 */
export function undeclaredParameters(
  template: Record<string, unknown>,
  names: readonly string[],
): string[] {
  const declared = new Set(Object.keys((template.Parameters ?? {}) as Record<string, unknown>));
  return names.filter((name) => !declared.has(name));
}

/** The declared parameter closest to `name` (a typo or a case slip), if one is near enough. */
export function nearestParameter(
  template: Record<string, unknown>,
  name: string,
): string | undefined {
  const declared = Object.keys((template.Parameters ?? {}) as Record<string, unknown>);
  let best: { name: string; distance: number } | undefined;
  for (const candidate of declared) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  // Two edits catch a dropped, doubled or swapped letter without matching unrelated names.
  return best !== undefined && best.distance <= 2 ? best.name : undefined;
}

/** Levenshtein distance, with a transposition counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, at(i - 2, j - 2) + 1);
      }
      (rows[i] as number[])[j] = value;
    }
  }
  return at(a.length, b.length);
}

/** A Lambda function of the template with its merged environment (Globals first). */
export interface TemplateFunction {
  readonly name: string;
  readonly variables: Record<string, unknown>;
}

const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);

/** The template's functions that have environment variables. */
export function templateFunctions(template: Record<string, unknown>): TemplateFunction[] {
  const globals = (template.Globals as { Function?: { Environment?: { Variables?: unknown } } })
    ?.Function?.Environment?.Variables;
  const resources = (template.Resources ?? {}) as Record<string, Record<string, unknown>>;
  const functions: TemplateFunction[] = [];
  for (const [name, resource] of Object.entries(resources)) {
    if (!FUNCTION_TYPES.has(String(resource?.Type))) continue;
    const properties = (resource.Properties ?? {}) as { Environment?: { Variables?: unknown } };
    const own = properties.Environment?.Variables;
    const variables = {
      ...((globals ?? {}) as Record<string, unknown>),
      ...((own ?? {}) as Record<string, unknown>),
    };
    if (Object.keys(variables).length > 0) functions.push({ name, variables });
  }
  return functions;
}
