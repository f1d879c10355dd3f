import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './realdata.ts';

const bin = resolve(repoRoot, 'bin/edge-jwt.mjs');

/** One `curl` line as printed, read back into a request. */
interface PrintedRequest {
  comment: string;
  url: string;
  withToken: boolean;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch {
    return true;
  }
}

/** Reads stdout until `done(text)` holds, or fails with everything printed so far. */
function readUntil(child: ChildProcess, done: (text: string) => boolean, timeoutMs: number) {
  return new Promise<string>((resolvePromise, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`no demo output in time:\n${out}\n${err}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (done(out)) {
        clearTimeout(timer);
        resolvePromise(out);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited early (${code}):\n${out}\n${err}`));
    });
  });
}

function printedRequests(text: string): PrintedRequest[] {
  const lines = text.split('\n');
  const requests: PrintedRequest[] = [];
  lines.forEach((line, i) => {
    const match =
      /^curl -i( -H "Authorization: Bearer \$TOKEN")? (http:\/\/127\.0\.0\.1:\d+\/\S*)$/.exec(line);
    if (match)
      requests.push({
        comment: lines[i - 1] ?? '',
        url: match[2] as string,
        withToken: !!match[1],
      });
  });
  return requests;
}

describe('npm start', () => {
  let child: ChildProcess | undefined;

  let wranglerPgid: number | undefined;

  afterAll(() => {
    // Only if an assertion failed midway: never leave the demo running.
    for (const pgid of [child?.pid, wranglerPgid]) {
      if (pgid && groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
  });

  it('serves the printed requests with 200, 401, 403 and a public 200, then stops without leftovers', async () => {
    const session = join(mkdtempSync(join(tmpdir(), 'start-test-')), 'session.json');
    // As `npm start` runs it, in its own process group like a terminal's foreground job.
    child = spawn(process.execPath, [bin, 'start'], {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, EDGE_JWT_SESSION: session },
    });
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const text = await readUntil(
      child,
      (out) => out.includes('npm run -s inspect -- --local'),
      120_000,
    );
    // What the banner says to run next (`inspect --local`) reads the session file: it must be
    // there the moment the banner is.
    expect(existsSync(session)).toBe(true);

    const token = /^export TOKEN=(\S+)$/m.exec(text)?.[1];
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const requests = printedRequests(text);
    expect(requests.map((r) => r.withToken)).toEqual([true, false, true, false]);

    const answers = [];
    for (const request of requests) {
      const headers: Record<string, string> = { 'x-auth-subject': 'forged-by-client' };
      if (request.withToken) headers.authorization = `Bearer ${token}`;
      const response = await fetch(request.url, { headers });
      answers.push({ status: response.status, response, body: await response.text() });
    }
    const [allowed, missing, forbidden, publicRoute] = answers;

    expect(allowed?.status).toBe(200);
    const echoed = JSON.parse(allowed?.body ?? '{}') as { headers: Record<string, string> };
    expect(echoed.headers['x-auth-subject']).toBe('demo-user');
    expect(echoed.headers['x-auth-issuer']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(echoed.headers['x-auth-scope']).toBe('read:api');

    expect(missing?.status).toBe(401);
    expect(missing?.response.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expect(forbidden?.status).toBe(403);
    expect(forbidden?.response.headers.get('www-authenticate')).toMatch(
      /error="insufficient_scope"/,
    );

    expect(publicRoute?.status).toBe(200);
    const publicEcho = JSON.parse(publicRoute?.body ?? '{}') as { headers: Record<string, string> };
    // The forged identity header is stripped on public routes too.
    expect(publicEcho.headers['x-auth-subject']).toBeUndefined();

    // The Worker's decision lines follow on stderr, with reason codes and never the token.
    const deadline = Date.now() + 10_000;
    while (!stderr.join('').includes('"code":"insufficient_scope"') && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 100));
    }
    const workerLog = stderr.join('');
    expect(workerLog).toMatch(/worker \| \{"event":"decision","outcome":"allow"/);
    expect(workerLog).toContain('"code":"credential_missing"');
    expect(workerLog).toContain('"code":"insufficient_scope"');
    expect(workerLog).not.toContain(token?.split('.')[2]);

    // `npm run mint` finds the running provider by itself; its tokens pass the admin rule.
    const minted = spawnSync(process.execPath, [bin, 'mint', '--scope', 'read:api admin'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, EDGE_JWT_SESSION: session },
    });
    expect(minted.status).toBe(0);
    const adminUrl = requests[2]?.url as string;
    const admin = await fetch(adminUrl, {
      headers: { authorization: `Bearer ${minted.stdout.trim()}` },
    });
    expect(admin.status).toBe(200);

    // `inspect --local` walks the same token under the running Worker's configuration.
    const inspected = spawnSync(
      process.execPath,
      [bin, 'inspect', '--local', '--path', '/admin/settings', token as string],
      { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, EDGE_JWT_SESSION: session } },
    );
    expect(inspected.status).toBe(1);
    expect(inspected.stdout).toMatch(/Result: refused \(403 insufficient_scope\)/);

    // wrangler runs in a process group of its own; the session file names it.
    const recorded = JSON.parse(readFileSync(session, 'utf8')) as { wranglerPgid: number };
    wranglerPgid = recorded.wranglerPgid;
    expect(groupAlive(recorded.wranglerPgid)).toBe(true);

    // Ctrl-C: SIGINT to the foreground process group.
    const urls = [...new Set(text.match(/http:\/\/127\.0\.0\.1:\d+/g) ?? [])];
    expect(urls.length).toBeGreaterThanOrEqual(3);
    const exited = new Promise<number | null>((done) => child?.once('exit', (code) => done(code)));
    process.kill(-(child.pid as number), 'SIGINT');
    expect(await exited).toBe(0);
    expect(stderr.join('')).toMatch(/Stopped\./);

    // Nothing left: neither group, no session file, and every printed port refuses connections.
    expect(groupAlive(child.pid as number)).toBe(false);
    expect(groupAlive(recorded.wranglerPgid)).toBe(false);
    expect(existsSync(session)).toBe(false);
    for (const url of urls) expect(await refused(url)).toBe(true);
  }, 180_000);
});
