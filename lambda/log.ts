/**
 * One JSON line per decision on standard output, which Lambda sends to CloudWatch Logs. It says
 * what was decided and why, in fields a log query can filter on, and never holds a token, a
 * header value or a cookie: only codes, the issuer, the key id, the route and timings.
 */

/** How a decision ended. */
export type LogOutcome =
  /** IAM policy returned with at least one Allow, or a simple `isAuthorized: true`. */
  | 'allow'
  /** IAM policy returned that allows nothing, or a simple `isAuthorized: false` (403). */
  | 'deny'
  /** `Unauthorized` thrown (401). */
  | 'unauthorized'
  /** Another error thrown: the authorizer failed closed (500). */
  | 'error';

/** The fields of a decision line. */
export interface DecisionLog {
  readonly outcome: LogOutcome;
  /** The AuthError code, the failure reason, or `ok`. */
  readonly code: string;
  /** `token`, `request`, `http-v1`, `http-v2`, or `unknown` when the event did not parse. */
  readonly event: string;
  /** `iam` or `simple`. */
  readonly response?: string;
  /** `GET /users/42`, from the event's ARN. */
  readonly route?: string;
  readonly issuer?: string;
  readonly kid?: string;
  /** Key-set or token cache state of the verification. */
  readonly cache?: string;
  /** Rules the token satisfied and did not, for IAM answers. */
  readonly rules?: { readonly satisfied: number; readonly unsatisfied: number };
  /** Context keys left out because of the size bound. */
  readonly contextDropped?: readonly string[];
  /** The error class name of an unexpected failure (never its message). */
  readonly error?: string;
  readonly durationMs: number;
}

/** Writes a decision line. */
export function logDecision(line: DecisionLog): void {
  console.log(
    JSON.stringify({ level: levelOf(line.outcome), msg: 'authorizer decision', ...line }),
  );
}

/** Writes an operational line that is not a decision (configuration errors, warm-up). */
export function logEvent(level: 'info' | 'warn' | 'error', msg: string, fields: object): void {
  console.log(JSON.stringify({ level, msg, ...fields }));
}

// A refused token is the authorizer doing its job; only a failure to decide is an error.
function levelOf(outcome: LogOutcome): 'info' | 'error' {
  return outcome === 'error' ? 'error' : 'info';
}
