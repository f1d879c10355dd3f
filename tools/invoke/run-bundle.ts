/**
 * Runs the bundled Lambda authorizer the way Lambda does: a fresh Node process imports
 * `dist/lambda/index.mjs` with the function's environment and calls `handler(event, context)`
 * once. A separate process keeps the bundle's module-scope state and environment apart from the
 * caller's, and its log lines (JSON on stdout) are returned beside the answer.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** How an invocation ended. */
export type InvocationResult =
  | { readonly ok: true; readonly response: unknown; readonly logs: string[] }
  | { readonly ok: false; readonly error: string; readonly logs: string[] };

/** Marks the result line among the bundle's own log lines. */
const RESULT_MARK = '@@edge-jwt-invoke-result@@';

/**
 * Replaces the child's clock with a fixed instant (`--at`), before the bundle loads: the
 * bundle reads time through `Date.now()` and `new Date()` like Lambda's own runtime would.
 */
function clockShim(atMs: number): string {
  return `
const RealDate = Date;
const fixed = ${atMs};
globalThis.Date = class extends RealDate {
  constructor(...args) { super(...(args.length > 0 ? args : [fixed])); }
  static now() { return fixed; }
};
`;
}

/** The script the child runs: read the event from stdin, invoke, print the marked result. */
function childScript(bundleUrl: string, atMs: number | undefined): string {
  return `${atMs !== undefined ? clockShim(atMs) : ''}
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const context = { functionName: 'edge-jwt-invoke', awsRequestId: 'local-invoke', getRemainingTimeInMillis: () => 30000 };
let result;
try {
  const bundle = await import(${JSON.stringify(bundleUrl)});
  result = { ok: true, response: await bundle.handler(event, context) };
} catch (error) {
  result = { ok: false, error: error instanceof Error ? error.message : String(error) };
}
process.stdout.write('\\n${RESULT_MARK}' + JSON.stringify(result) + '\\n');
`;
}

/** Invokes the bundle at `bundlePath` with `event` under `env` (only these variables are set). */
export async function invokeBundle(
  bundlePath: string,
  event: unknown,
  env: Record<string, string>,
  options: { atMs?: number; timeoutMs?: number } = {},
): Promise<InvocationResult> {
  const script = childScript(pathToFileURL(bundlePath).href, options.atMs);
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    // The function's own environment plus what Node needs to run; nothing else of ours leaks in.
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.stdin.end(JSON.stringify(event));

  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  await new Promise<void>((done) => child.on('close', () => done()));
  clearTimeout(timer);

  const lines = stdout.split('\n');
  const marked = lines.find((line) => line.startsWith(RESULT_MARK));
  const logs = [...lines, ...stderr.split('\n')].filter(
    (line) => line.trim() !== '' && !line.startsWith(RESULT_MARK),
  );
  if (!marked) {
    return {
      ok: false,
      error: `the bundle did not finish (exit ${child.exitCode ?? child.signalCode})`,
      logs,
    };
  }
  const result = JSON.parse(marked.slice(RESULT_MARK.length)) as
    | { ok: true; response: unknown }
    | { ok: false; error: string };
  return { ...result, logs };
}
