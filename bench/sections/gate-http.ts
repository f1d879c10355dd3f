/**
 * The gate over HTTP in workerd: requests per second through the built Worker
 * (`dist/worker/index.js`) with one valid token repeated, against a pass-through Worker in front
 * of the same loopback origin. Both run in their own workerd instance, side by side; tinybench
 * times one request at a time (one in flight), alternating the two in every round. Each round is
 * bounded by time, so the request count stays small (a few hundred per Worker per round).
 *
 * The provider's request count over the whole section is the "after the first fetch, nothing
 * until stale" figure for workerd.
 */
import path from 'node:path';
import { Bench } from 'tinybench';
import { bundleWorker, ROOT } from '../lib/bundle.ts';
import { type GateWorld, gateRequest, shippedWorker } from '../lib/loopback.ts';
import { rotate } from '../lib/stats.ts';
import { processCpuMs, startWorker } from '../lib/workerd.ts';
import type { RoundSettings } from './node-verify.ts';

/** Per-round requests per second, and what the provider and origin saw. */
export interface GateHttpResult {
  rps: Record<'gate' | 'passthrough', number[]>;
  /**
   * Per-round CPU microseconds of each Worker's workerd process per request (NaN where `/proc`
   * is not available): what the Worker costs the runtime, without the waiting for a core.
   */
  cpuUsPerRequest: Record<'gate' | 'passthrough', number[]>;
  /** Requests sent through the gate (timed and warm-up). */
  gateRequests: number;
  /** Provider requests made by the gate's first request (expected: 1). */
  providerRequestsFirst: number;
  /** Provider requests made by all the gate requests after the first (expected: 0). */
  providerRequests: number;
}

/** Runs the HTTP figures; `undefined` when the Worker is not built. */
export async function runGateHttp(
  world: GateWorld,
  settings: RoundSettings,
  log: (line: string) => void,
): Promise<GateHttpResult | undefined> {
  const gateScript = shippedWorker();
  if (!gateScript) return undefined;
  const passScript = await bundleWorker(path.join(ROOT, 'bench/entries/passthrough.ts'));
  const before = world.provider.count();
  const gate = await startWorker({ script: gateScript, bindings: world.bindings });
  const pass = await startWorker({
    script: passScript,
    bindings: { ORIGIN_URL: world.bindings.ORIGIN_URL as string },
  });
  const token = world.suite.tokens[0] as string;
  let gateRequests = 0;
  const sent = { gate: 0, passthrough: 0 };

  const send = async (which: 'gate' | 'passthrough') => {
    const request =
      which === 'gate'
        ? gateRequest(gate.url, token)
        : new Request(new URL('/api/items', pass.url));
    if (which === 'gate') gateRequests++;
    sent[which]++;
    const response = await fetch(request);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${which} answered ${response.status}`);
  };

  try {
    // One request first, alone: it makes the first fetch. (tinybench may start a task twice at
    // once while probing it, and two concurrent cold requests in Workers fetch twice by design:
    // a request never awaits another request's fetch.)
    await send('gate');
    await send('passthrough');
    const firstFetch = world.provider.count() - before;

    const rps: GateHttpResult['rps'] = { gate: [], passthrough: [] };
    const cpuUsPerRequest: GateHttpResult['cpuUsPerRequest'] = { gate: [], passthrough: [] };
    for (let round = 0; round < settings.rounds; round++) {
      const cpuBefore = { gate: processCpuMs(gate.pid), passthrough: processCpuMs(pass.pid) };
      const sentBefore = { ...sent };
      const bench = new Bench({
        time: settings.timeMs,
        warmupTime: settings.warmupMs,
        iterations: 16,
        throws: true,
      });
      for (const which of rotate(['gate', 'passthrough'] as const, round)) {
        bench.add(which, () => send(which));
      }
      await bench.run();
      for (const task of bench.tasks) {
        const result = task.result;
        if (!('latency' in result)) throw new Error(`${task.name} did not complete`);
        rps[task.name as 'gate' | 'passthrough'].push(1000 / result.latency.p50);
      }
      for (const [which, pid] of [
        ['gate', gate.pid],
        ['passthrough', pass.pid],
      ] as const) {
        const cpuMs = processCpuMs(pid) - cpuBefore[which];
        cpuUsPerRequest[which].push((1000 * cpuMs) / (sent[which] - sentBefore[which]));
      }
    }
    log(`  gate over HTTP: ${settings.rounds} rounds done`);
    const afterFirst = world.provider.count() - before - firstFetch;
    return {
      rps,
      cpuUsPerRequest,
      gateRequests,
      providerRequestsFirst: firstFetch,
      providerRequests: afterFirst,
    };
  } finally {
    await gate.mf.dispose();
    await pass.mf.dispose();
  }
}
