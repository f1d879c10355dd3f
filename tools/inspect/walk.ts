/**
 * The step-by-step account `inspect` prints. The verdicts come from the core (the authorizer's
 * `verifyToken` and `authorize`, the issuer index, the key cache and key selection); this file
 * arranges them in the order a request goes through and places the one failure among them.
 * It never decides validity on its own.
 */
import { AuthError, type AuthErrorCode, outcomeOf } from '../../shared/errors.ts';
import { selectKeys } from '../../shared/key-select.ts';
import { IssuerIndex } from '../../shared/profiles.ts';
import { matchRoute } from '../../shared/routes.ts';
import type {
  AuthConfig,
  Decision,
  Identity,
  IssuerConfig,
  KeySetCache,
  Requirement,
  RouteRule,
} from '../../shared/types.ts';
import { isoOfSeconds, relative } from '../lib/time.ts';

/** The stages of a request, in order. */
export const STAGES = [
  'credential',
  'decode',
  'issuer',
  'algorithm',
  'key set',
  'key',
  'signature',
  'claims',
  'route',
] as const;

/** One of {@link STAGES}. */
export type Stage = (typeof STAGES)[number];

/** One line of the walk. */
export interface Step {
  stage: Stage;
  /** `exp`, `aud`, ... for claim lines. */
  name: string;
  status: 'ok' | 'fail' | 'not reached' | 'info';
  detail: string;
}

/** Where each reason code stops the walk. */
const STAGE_OF: { readonly [C in AuthErrorCode]: Stage } = {
  credential_missing: 'credential',
  credential_malformed: 'credential',
  token_too_large: 'credential',
  origin_rejected: 'credential',
  token_malformed: 'decode',
  token_header_rejected: 'decode',
  issuer_unknown: 'issuer',
  token_unsupported_algorithm: 'algorithm',
  key_set_unavailable: 'key set',
  key_set_invalid: 'key set',
  key_unknown: 'key',
  token_signature_invalid: 'signature',
  token_expired: 'claims',
  token_not_yet_valid: 'claims',
  token_too_old: 'claims',
  token_type_invalid: 'claims',
  claim_missing: 'claims',
  audience_invalid: 'claims',
  profile_check_failed: 'claims',
  insufficient_scope: 'route',
};

/** The claim line a claims-stage failure belongs to. */
function failingClaim(error: AuthError): string {
  switch (error.code) {
    case 'token_expired':
      return 'exp';
    case 'token_not_yet_valid':
      return 'nbf';
    case 'token_too_old':
      return 'iat';
    case 'token_type_invalid':
      return 'typ';
    case 'audience_invalid':
      return 'aud';
    case 'profile_check_failed':
      return `profile (${error.detail.claim ?? '?'})`;
    default:
      return error.detail.claim ?? 'claims';
  }
}

/** Everything the walk is built from. */
export interface WalkInput {
  config: AuthConfig;
  keys: KeySetCache;
  atMs: number;
  method: string;
  path: string;
  header: Readonly<Record<string, unknown>> | undefined;
  payload: Readonly<Record<string, unknown>> | undefined;
  /** The token verdict: an identity, or the AuthError `verifyToken` threw. */
  token: Identity | AuthError;
  /** The request verdict from `authorize`. */
  decision: Decision;
}

function describeRequirement(rule: RouteRule | undefined): string {
  if (!rule) return 'no rule matches: a valid token is required';
  const requirement: Requirement = rule.require;
  const where = `rule ${rule.methods.join(',')} ${rule.path}`;
  if (requirement.kind === 'public') return `${where}: public`;
  const needs: string[] = [];
  if (requirement.scopes.length > 0) {
    needs.push(`scopes ${requirement.scopes.join(' ')} (${requirement.scopesMatch})`);
  }
  for (const [claim, values] of Object.entries(requirement.claims)) {
    needs.push(`${claim} in [${values.join(', ')}]`);
  }
  return `${where}: ${needs.length > 0 ? `needs ${needs.join(', ')}` : 'a valid token'}`;
}

function timeClaim(payload: Readonly<Record<string, unknown>>, name: string, atMs: number): string {
  const value = payload[name];
  if (value === undefined) return 'absent';
  if (typeof value !== 'number') return `${JSON.stringify(value)} (not a number)`;
  return `${isoOfSeconds(value)} (${relative(value - atMs / 1000)})`;
}

/** The claim lines, with what each holds; statuses are filled in by {@link walk}. */
function claimLines(
  payload: Readonly<Record<string, unknown>>,
  header: Readonly<Record<string, unknown>>,
  issuer: IssuerConfig | undefined,
  atMs: number,
): [string, string][] {
  const lines: [string, string][] = [
    ['exp', timeClaim(payload, 'exp', atMs)],
    ['nbf', timeClaim(payload, 'nbf', atMs)],
    ['iat', timeClaim(payload, 'iat', atMs)],
  ];
  const audiences = issuer?.audiences.join(', ') || 'any (allowAnyAudience or profile check)';
  lines.push(['aud', `${JSON.stringify(payload.aud ?? null)}; accepted: ${audiences}`]);
  if (issuer?.typ !== undefined) {
    lines.push(['typ', `${JSON.stringify(header.typ ?? null)}; expected ${issuer.typ}`]);
  }
  for (const claim of issuer?.requiredClaims ?? []) {
    lines.push([claim, payload[claim] === undefined ? 'absent (required)' : 'present (required)']);
  }
  if (issuer && issuer.provider !== 'generic') {
    const watched = ['azp', 'token_use', 'client_id', 'tid'].filter(
      (c) => payload[c] !== undefined,
    );
    const shown = watched.map((c) => `${c}=${JSON.stringify(payload[c])}`).join(' ');
    lines.push([`profile (${issuer.provider})`, shown || 'no profile claims present']);
  }
  return lines;
}

/** Key-set facts for the key-set and key lines, from the core's cache and key selection. */
async function keyFacts(
  input: WalkInput,
  issuer: IssuerConfig | undefined,
): Promise<{ set: string; key: string }> {
  if (!issuer) return { set: '', key: '' };
  const kid = typeof input.header?.kid === 'string' ? input.header.kid : undefined;
  const alg = String(input.header?.alg);
  const describeSet = (): string => {
    const status = input.keys.status(issuer);
    const skipped = status.skipped.map((s) => `${s.kid ?? '(no kid)'}: ${s.reason}`);
    return (
      `${status.jwksUrl ?? issuer.jwksUrl ?? '(discovered)'}: ${status.usableKeys} usable key(s)` +
      (skipped.length > 0 ? `; skipped ${skipped.join('; ')}` : '')
    );
  };
  try {
    const lookup = await input.keys.getKeys(issuer, kid);
    try {
      const chosen = selectKeys(lookup.keys, alg, kid)
        .map((key) => `${key.kid ?? '(no kid)'} (${key.kty}${key.alg ? ` ${key.alg}` : ''})`)
        .join(', ');
      return { set: describeSet(), key: `kid ${kid ?? '(none)'}, alg ${alg}: ${chosen}` };
    } catch (error) {
      return { set: describeSet(), key: error instanceof Error ? error.message : String(error) };
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // An unknown kid is a fact about the key, not the set: the set itself was read.
    if (error instanceof AuthError && error.code === 'key_unknown') {
      return { set: describeSet(), key: message };
    }
    return { set: message, key: '' };
  }
}

/** Builds the steps; the one failing stage comes from the verdicts' reason code. */
export async function walk(input: WalkInput): Promise<Step[]> {
  const { config, decision, token } = input;
  const header = input.header ?? {};
  const payload = input.payload ?? {};

  let issuer: IssuerConfig | undefined;
  try {
    issuer = new IssuerIndex(config.issuers).resolve(String(payload.iss), payload);
  } catch {
    issuer = undefined;
  }
  const facts = await keyFacts(input, issuer);

  // The request's failure wins when it is about the request (credential, route); otherwise
  // the token's own verdict places the failure.
  const requestError = decision.outcome === 'deny' ? decision.error : undefined;
  const tokenError = token instanceof AuthError ? token : undefined;
  const error =
    requestError && ['credential', 'route'].includes(STAGE_OF[requestError.code])
      ? requestError
      : (tokenError ?? requestError);
  const failStage = error ? STAGE_OF[error.code] : undefined;
  const failIndex = failStage ? STAGES.indexOf(failStage) : STAGES.length;

  const statusOf = (stage: Stage): Step['status'] => {
    const index = STAGES.indexOf(stage);
    if (index < failIndex) return 'ok';
    return index === failIndex ? 'fail' : 'not reached';
  };
  // The reason is appended to the failing line unless the line already says it.
  const withReason = (detail: string): string => {
    if (!error) return detail;
    return detail.includes(error.message)
      ? `${detail} — ${error.code}`
      : `${detail} — ${error.code}: ${error.message}`;
  };
  const step = (stage: Stage, detail: string, name: string = stage): Step => {
    const status = statusOf(stage);
    return { stage, name, status, detail: status === 'fail' ? withReason(detail) : detail };
  };

  const kid = header.kid === undefined ? '(none)' : JSON.stringify(header.kid);
  const steps: Step[] = [
    step('credential', 'Authorization: Bearer (as the request would carry it)'),
    step('decode', `compact JWS, alg ${JSON.stringify(header.alg ?? null)}, kid ${kid}`),
    step(
      'issuer',
      issuer
        ? `${String(payload.iss)} is configured (provider ${issuer.provider})`
        : `${JSON.stringify(payload.iss ?? null)}; configured: ${config.issuers.map((i) => i.issuer).join(', ')}`,
    ),
    step('algorithm', `${String(header.alg)}; allowed: ${issuer?.algorithms.join(' ') ?? '-'}`),
    step('key set', facts.set),
    step('key', facts.key),
    step(
      'signature',
      error?.code === 'token_signature_invalid'
        ? 'does not verify'
        : 'checked with the selected key',
    ),
  ];

  const claimStatus = statusOf('claims');
  const failing = claimStatus === 'fail' && error ? failingClaim(error) : undefined;
  for (const [name, detail] of claimLines(payload, header, issuer, input.atMs)) {
    // In a failed claims stage only the failing claim is known; the others are shown as facts.
    let status: Step['status'] = claimStatus;
    if (claimStatus === 'fail') status = name === failing ? 'fail' : 'info';
    steps.push({
      stage: 'claims',
      name,
      status,
      detail: status === 'fail' ? withReason(detail) : detail,
    });
  }
  if (failing !== undefined && !steps.some((s) => s.status === 'fail')) {
    steps.push({ stage: 'claims', name: failing, status: 'fail', detail: withReason('') });
  }

  const rule = matchRoute(config.routes, input.method, input.path);
  const route = `${input.method} ${input.path}: ${describeRequirement(rule)}`;
  if (decision.outcome === 'public' || decision.outcome === 'preflight') {
    steps.push({
      stage: 'route',
      name: 'route',
      status: 'ok',
      detail: `${route} (${decision.outcome}: passes without a token)`,
    });
  } else {
    steps.push(step('route', route));
  }
  return steps;
}

/** The public answer for a decision, as the Worker would give it. */
export function answerOf(decision: Decision): string {
  if (decision.outcome !== 'deny') return `${decision.outcome}: forwarded to the origin`;
  const outcome = outcomeOf(decision.error.code);
  const status = { bad_request: 400, unauthenticated: 401, forbidden: 403, unavailable: 503 }[
    outcome.kind
  ];
  return `${status}${outcome.bearerError ? ` ${outcome.bearerError}` : ''}`;
}
