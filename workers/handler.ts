/**
 * The `fetch` handler: the request in the core's terms, the core's decision, and the decision
 * back as a response (a denial, or the request forwarded to the origin). Everything about
 * tokens is decided in `shared/`; this file only translates.
 */
import type { AuthRequest, Decision } from '../shared/types.ts';
import {
  badGatewayResponse,
  configErrorResponse,
  denialResponse,
  internalErrorResponse,
} from './answers.ts';
import { forwardedSource, originHeaders, originRequest, originTarget } from './forward.ts';
import { gateFor, type ReadyGate, withContext } from './gate.ts';
import { decisionLine, internalErrorLine } from './log.ts';

/** The core's view of a Workers request. */
export function toAuthRequest(request: Request, url: URL): AuthRequest {
  return {
    method: request.method.toUpperCase(),
    // The URL parser has already resolved dot segments, so the rule matched here is the path
    // the origin receives.
    path: url.pathname,
    header: (name) => request.headers.get(name),
    // A parameter given twice comes back as its values joined with ",", as the Lambda joins
    // them, so the core refuses it as malformed instead of reading the first and letting the
    // second through (a token68 never holds a comma, RFC 6750 §2.1).
    query: (name) => {
      const values = url.searchParams.getAll(name);
      return values.length === 0 ? null : values.join(',');
    },
  };
}

/** Sends an allowed, public or preflight request on to the origin. */
async function forward(
  gate: ReadyGate,
  request: Request,
  url: URL,
  decision: Decision,
): Promise<{ response: Response; omitted: string[] }> {
  const identity = decision.outcome === 'allow' ? decision.identity : undefined;
  const { headers, omitted } = originHeaders(gate.config, request.headers, identity);
  // The query parameter goes like the header sources unless it is the forwarded credential,
  // even when another credential was used (it may then only be empty).
  const consumedParameter =
    identity !== undefined && forwardedSource(gate.config, identity) !== 'query'
      ? decision.rule?.queryParameter
      : undefined;
  const target = originTarget(url, gate.origin, consumedParameter);
  try {
    return { response: await fetch(originRequest(request, target, headers)), omitted };
  } catch {
    return { response: badGatewayResponse(), omitted };
  }
}

/** Handles one request: decide, log one line, answer. */
export async function handleFetch(
  request: Request,
  env: object,
  ctx: ExecutionContext,
): Promise<Response> {
  const started = Date.now();
  const gate = gateFor(env);
  if (!gate.ok) return configErrorResponse();

  const url = new URL(request.url);
  let decision: Decision;
  try {
    decision = await withContext(ctx, () => gate.authorizer.authorize(toAuthRequest(request, url)));
  } catch (error) {
    // The core promises a Decision for every input; if it ever throws, fail closed.
    console.log(internalErrorLine(request.method, url.pathname, error));
    return internalErrorResponse();
  }
  const durationMs = Date.now() - started;
  gate.reportKeySets();

  if (decision.outcome === 'deny') {
    const response = denialResponse(gate.config, decision.error, request.headers.get('Origin'));
    const facts = { decision, method: request.method, path: url.pathname, durationMs };
    console.log(decisionLine({ ...facts, status: response.status }));
    return response;
  }

  const { response, omitted } = await forward(gate, request, url, decision);
  console.log(
    decisionLine({
      decision,
      method: request.method,
      path: url.pathname,
      status: response.status,
      durationMs,
      omittedClaims: omitted,
    }),
  );
  return response;
}
