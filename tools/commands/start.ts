/**
 * `start` (`npm start`): runs the local demo until Ctrl-C or SIGTERM, prints what to paste, and
 * leaves no process behind when it stops.
 */
import type { Command } from 'commander';
import { clearSession, writeSession } from '../lib/session.ts';
import { curlLine, type Demo, startDemo } from '../start/demo.ts';

/** The text `npm start` prints once everything answers. */
export function renderDemo(demo: Demo): string {
  const lines = [
    'edge-jwt-authorizer: local demo running (Ctrl-C stops everything)',
    '',
    `  gate (Worker under wrangler dev)  ${demo.gateUrl}`,
    `  origin (echoes what it receives)  ${demo.echoUrl}`,
    `  identity provider (issuer)        ${demo.issuer}`,
    `  key set                           ${demo.jwksUrl}`,
    '',
    `A valid token (sub demo-user, aud ${demo.audience}, scope read:api, 1 hour):`,
    '',
    `export TOKEN=${demo.token}`,
    '',
    'Then try:',
  ];
  for (const request of demo.requests) {
    lines.push('', `# ${request.description}`, curlLine(request));
  }
  lines.push(
    '',
    '# another token, e.g. with the admin scope (or: npm run mint -- --scope admin)',
    `curl -s -X POST ${demo.tokenUrl} -d '{"scope":"read:api admin"}'`,
    '',
    "# why a request is refused, step by step, under this Worker's configuration",
    // `-s`: without it npm echoes the command line it runs, and with it the whole token.
    'npm run -s inspect -- --local --path /admin/settings "$TOKEN"',
    '',
  );
  return lines.join('\n');
}

/** The JSON form: everything the text says, for scripts and the test. */
export function demoData(demo: Demo): Record<string, unknown> {
  return {
    gateUrl: demo.gateUrl,
    echoUrl: demo.echoUrl,
    issuer: demo.issuer,
    jwksUrl: demo.jwksUrl,
    tokenUrl: demo.tokenUrl,
    audience: demo.audience,
    token: demo.token,
    wranglerPgid: demo.wranglerPgid,
    requests: demo.requests.map((request) => ({ ...request, curl: curlLine(request) })),
  };
}

/** Runs the demo until a signal arrives. */
export async function runStart(options: {
  json?: boolean;
  timeoutSeconds?: string;
}): Promise<void> {
  process.stderr.write('Starting the identity provider, the echo origin and wrangler dev...\n');
  const timeoutMs = options.timeoutSeconds ? Number(options.timeoutSeconds) * 1000 : undefined;
  // The Worker's lines (requests, one JSON decision line each) follow on stderr, so stdout keeps
  // only what to paste.
  const onWorkerOutput = (line: string) => process.stderr.write(`worker | ${line}\n`);
  const demo = await startDemo({
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    onWorkerOutput,
  });

  let stopping = false;
  const stop = async (signal: NodeJS.Signals, exitCode = 0) => {
    // A second Ctrl-C while stopping must not start a second shutdown.
    if (stopping) return;
    stopping = true;
    process.stderr.write(
      `\n${signal}: stopping wrangler dev, the echo origin and the provider...\n`,
    );
    await demo.stop();
    await clearSession();
    process.stderr.write('Stopped.\n');
    process.exit(exitCode);
  };
  // Node passes the signal number as a second argument: not an exit code.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void stop(signal));
  }
  // `npm start` runs us under `sh -c`, which dies on SIGTERM without passing it on: when our
  // parent goes away, we are reparented, and stop as if signalled.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop('SIGHUP');
  }, 500).unref();
  void demo.workerExited.then(() => {
    if (stopping) return;
    process.stderr.write('wrangler dev exited on its own; stopping the rest.\n');
    void stop('SIGTERM', 1);
  });
  // Last resort if this process dies some other way: never leave workerd running.
  process.on('exit', () => {
    try {
      process.kill(-demo.wranglerPgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  });

  await writeSession({
    pid: process.pid,
    issuer: demo.issuer,
    audience: demo.audience,
    gateUrl: demo.gateUrl,
    echoUrl: demo.echoUrl,
    wranglerPgid: demo.wranglerPgid,
    vars: demo.vars,
  });
  const out = options.json ? `${JSON.stringify(demoData(demo))}\n` : renderDemo(demo);
  process.stdout.write(out);
}

/** Adds `start` to the program. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the local identity provider, an echo origin and the Worker (wrangler dev)')
    .option('--timeout-seconds <seconds>', 'how long to wait for wrangler dev to answer', '90')
    .option('--json', 'print the URLs, token and requests as one JSON line')
    .action(async (options: { json?: boolean; timeoutSeconds?: string }) => {
      await runStart(options);
    });
}
