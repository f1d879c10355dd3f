/**
 * The running `npm start` session, written to a small file so other commands (`mint`) can
 * default to the local provider's issuer without the user copying ports around.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { repoRoot } from './paths.ts';

/** What `npm start` records about itself. */
export interface SessionInfo {
  pid: number;
  issuer: string;
  audience: string;
  gateUrl: string;
  echoUrl: string;
  /** The process group of `wrangler dev` and its workerd processes. */
  wranglerPgid: number;
  /** The configuration variables the Worker runs with (for `inspect --local`). */
  vars: Record<string, string>;
}

/** The session file's path (`EDGE_JWT_SESSION` overrides it, for tests). */
export function sessionFile(): string {
  return (
    process.env.EDGE_JWT_SESSION ??
    resolve(repoRoot, 'node_modules/.cache/edge-jwt-authorizer/session.json')
  );
}

function alive(pid: number): boolean {
  try {
    // Signal 0 checks that the process exists without touching it.
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The current session, if `npm start` is running. */
export function readSession(): SessionInfo | undefined {
  try {
    const session = JSON.parse(readFileSync(sessionFile(), 'utf8')) as SessionInfo;
    return typeof session.pid === 'number' && alive(session.pid) ? session : undefined;
  } catch {
    return undefined;
  }
}

/** Records the session. */
export async function writeSession(session: SessionInfo): Promise<void> {
  const file = sessionFile();
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(session, null, 2)}\n`);
}

/** Forgets the session. */
export async function clearSession(): Promise<void> {
  await rm(sessionFile(), { force: true });
}
