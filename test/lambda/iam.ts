/**
 * A small IAM policy evaluator, enough to check what API Gateway will do with a cached
 * authorizer policy: a request (its execute-api ARN) is allowed when some Allow statement's
 * resource matches and no Deny statement's does; an explicit Deny overrides any Allow, and no
 * match at all is an implicit deny. In a resource, `*` matches any run of characters (`/`
 * included) and `?` exactly one; everything else matches itself, case-sensitively.
 */

/** A statement as the authorizer returns it. */
export interface Statement {
  Action: string | string[];
  Effect: string;
  Resource: string | string[];
}

/** What IAM decides for one request. */
export type IamDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

/** Whether an IAM resource pattern matches an ARN. */
export function resourceMatches(pattern: string, arn: string): boolean {
  const source = pattern
    .split('')
    .map((char) =>
      char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`, 's').test(arn);
}

const listOf = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** Evaluates a policy document for `execute-api:Invoke` on `arn`. */
export function evaluate(document: { Statement: Statement[] }, arn: string): IamDecision {
  let allowed = false;
  for (const statement of document.Statement) {
    const invokes = listOf(statement.Action).some((a) => resourceMatches(a, 'execute-api:Invoke'));
    if (!invokes || !listOf(statement.Resource).some((r) => resourceMatches(r, arn))) continue;
    if (statement.Effect === 'Deny') return 'explicit-deny';
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/** Shorthand: whether IAM allows the request. */
export function allows(document: { Statement: Statement[] }, arn: string): boolean {
  return evaluate(document, arn) === 'allow';
}
