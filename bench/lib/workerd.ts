/**
 * Starting workerd through miniflare for the bench: one place for the compatibility settings so
 * every bench Worker (contenders, gate, hello world, pass-through) runs under the same ones.
 */
import { readFileSync } from 'node:fs';
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

/** Starts a fresh workerd instance running `script`; resolves once it accepts requests. */
export async function startWorker(options: WorkerOptions): Promise<{ mf: Miniflare; url: URL }> {
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
  return { mf, url };
}
