/**
 * Starting workerd through miniflare for the bench: one place for the compatibility settings so
 * every bench Worker (contenders, gate, hello world, pass-through) runs under the same ones.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Miniflare, type MiniflareOptions } from 'miniflare';
import { parse } from 'smol-toml';
import { ROOT } from './bundle.ts';

/** The compatibility date and flags of `wrangler.toml`, so bench Workers run as the gate does. */
export function compatibility(): { date: string; flags: string[] } {
  try {
    const toml = parse(readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8')) as {
      compatibility_date?: string;
      compatibility_flags?: string[];
    };
    return { date: toml.compatibility_date ?? '2025-09-01', flags: toml.compatibility_flags ?? [] };
  } catch {
    return { date: '2025-09-01', flags: [] };
  }
}

/** Options for {@link startWorker}. */
export interface WorkerOptions {
  /** The bundled ES module text. */
  script: string;
  bindings?: Record<string, string>;
  /** KV namespaces by binding name. */
  kvNamespaces?: string[];
  /** Directory that keeps KV between instances (a KV tier that outlives an isolate). */
  kvPersist?: string;
  /** Print the Worker's console output (default: discard it; the gate logs every decision). */
  showOutput?: boolean;
}

/** The ids of the running workerd processes (Linux `/proc`; empty elsewhere). */
function workerdProcesses(): Set<string> {
  const found = new Set<string>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'workerd') found.add(entry);
      } catch {
        // The process ended while we looked.
      }
    }
  } catch {
    // No /proc: CPU figures are not available on this system.
  }
  return found;
}

/**
 * CPU time (user + system) the process `pid` has used, in milliseconds, from `/proc`; NaN when
 * unavailable. CPU time per request does not count time spent waiting for a core, so on a
 * crowded machine it is steadier than wall-clock time.
 */
export function processCpuMs(pid: string | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // Fields 14 and 15 of stat(5) (utime, stime), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/**
 * Starts a fresh workerd instance running `script`; resolves once it accepts requests. `pid` is
 * its workerd process when it can be told apart (start instances one at a time for that).
 */
export async function startWorker(
  options: WorkerOptions,
): Promise<{ mf: Miniflare; url: URL; pid: string | undefined }> {
  const before = workerdProcesses();
  const { date, flags } = compatibility();
  const config: MiniflareOptions = {
    // The module given as a list, not as `script`: with `script` miniflare parses the code in
    // Node to find its imports (tens of milliseconds for a 100 KB bundle), a cost of the tool
    // that would land on the bigger Worker's start-up figure.
    modules: [{ type: 'ESModule', path: 'worker.mjs', contents: options.script }],
    compatibilityDate: date,
    compatibilityFlags: flags,
    ...(options.showOutput
      ? {}
      : {
          handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
            stdout.resume();
            stderr.resume();
          },
        }),
    bindings: options.bindings ?? {},
    kvNamespaces: options.kvNamespaces ?? [],
    ...(options.kvPersist ? { kvPersist: options.kvPersist } : {}),
  };
  const mf = new Miniflare(config);
  const url = await mf.ready;
  const started = [...workerdProcesses()].filter((pid) => !before.has(pid));
  return { mf, url, pid: started.length === 1 ? started[0] : undefined };
}
