/**
 * Verification rate inside workerd, measured from outside the isolate. The bench Worker
 * (`bench/workerd/verify-worker.ts`) holds the same contenders as the Node section; tinybench
 * times requests that each make `n` verifications in a row, and a request with `n = 0` is timed
 * in the same round as the baseline. One verification costs (request time - baseline) / n.
 * `n` is calibrated per contender and path so a request spends about {@link TARGET_REQUEST_MS}
 * verifying: long beside the round trip (2-3 ms on loopback), short enough for many samples.
 */
import path from 'node:path';
import { Bench } from 'tinybench';
import { bundleWorker, ROOT } from '../lib/bundle.ts';
import type { Suite } from '../lib/fixtures.ts';
import { rotate } from '../lib/stats.ts';
import { startWorker } from '../lib/workerd.ts';
import type { RateTable, RoundSettings } from './node-verify.ts';

/** Milliseconds of verification work per timed request. */
export const TARGET_REQUEST_MS = 10;
const CALIBRATION_COUNT = 32;
const MAX_PER_REQUEST = 100_000;

/** What the workerd section returns besides the rates. */
export interface WorkerdVerifyResult {
  rates: RateTable;
  /** This project's counters inside the isolate, by `alg/entry`. */
  counters: Record<string, { fetches: number; tokenCacheHits: number; calls: number }>;
  /** Round-trip baseline in milliseconds (an `n = 0` request), per timed bench. */
  baselineMs: number[];
  /** Verifications per request, by `alg/contender/path`. */
  perRequest: Record<string, number>;
}

/** Runs the workerd figures for every suite in one workerd instance. */
export async function runWorkerdVerify(
  suites: readonly Suite[],
  settings: RoundSettings,
  log: (line: string) => void,
): Promise<WorkerdVerifyResult> {
  const script = await bundleWorker(path.join(ROOT, 'bench/workerd/verify-worker.ts'));
  const { mf, url: base } = await startWorker({ script });
  // Plain loopback HTTP to the workerd socket: cheaper per request than `dispatchFetch`.
  const origin = base.origin;
  const call = async (url: string, init?: RequestInit) => {
    const response = await fetch(url, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`bench Worker answered ${response.status}: ${text}`);
    return text;
  };

  try {
    const ids = new Map<string, string[]>();
    for (const suite of suites) {
      const text = await call(`${origin}/setup`, { method: 'POST', body: JSON.stringify(suite) });
      ids.set(suite.alg, (JSON.parse(text) as { contenders: string[] }).contenders);
    }

    // Calibrate n: grow it until a request spends the target time beyond the round trip.
    const timed = async (url: string) => {
      const started = performance.now();
      await call(url);
      return performance.now() - started;
    };
    const perRequest = new Map<string, number>();
    for (const suite of suites) {
      for (const id of ids.get(suite.alg) ?? []) {
        for (const mode of ['cold', 'warm'] as const) {
          const url = (n: number) => `${origin}/run?alg=${suite.alg}&id=${id}&mode=${mode}&n=${n}`;
          const base = Math.min(await timed(url(0)), await timed(url(0)), await timed(url(0)));
          let n = CALIBRATION_COUNT;
          let work = (await timed(url(n))) - base;
          while (work < TARGET_REQUEST_MS / 4 && n < MAX_PER_REQUEST) {
            n = Math.min(n * 4, MAX_PER_REQUEST);
            work = (await timed(url(n))) - base;
          }
          const scaled = Math.round((n * TARGET_REQUEST_MS) / Math.max(work, 0.01));
          perRequest.set(
            `${suite.alg}/${id}/${mode}`,
            Math.min(Math.max(scaled, 16), MAX_PER_REQUEST),
          );
        }
      }
    }

    const rates: RateTable = {};
    const baselineMs: number[] = [];
    for (const suite of suites) rates[suite.alg] = { cold: {}, warm: {} };
    for (let round = 0; round < settings.rounds; round++) {
      for (const suite of suites) {
        for (const mode of ['cold', 'warm'] as const) {
          const bench = new Bench({
            time: settings.timeMs,
            warmupTime: settings.warmupMs,
            iterations: 10,
            throws: true,
          });
          const first = ids.get(suite.alg)?.[0] ?? 'webcrypto';
          const runUrl = (id: string, count: number) =>
            `${origin}/run?alg=${suite.alg}&id=${id}&mode=${mode}&n=${count}`;
          bench.add('baseline', () => call(runUrl(first, 0)).then(() => undefined));
          for (const id of rotate(ids.get(suite.alg) ?? [], round)) {
            const n = perRequest.get(`${suite.alg}/${id}/${mode}`) ?? CALIBRATION_COUNT;
            bench.add(id, () => call(runUrl(id, n)).then(() => undefined));
          }
          await bench.run();
          const base = bench.getTask('baseline')?.result;
          if (!base || !('latency' in base)) throw new Error('baseline did not complete');
          // Medians of the request times (see node-verify.ts): robust to bursts of other load.
          baselineMs.push(base.latency.p50);
          for (const task of bench.tasks) {
            if (task.name === 'baseline') continue;
            const result = task.result;
            if (!('latency' in result)) throw new Error(`${task.name} did not complete`);
            // The round trip is paid once per request; what remains is n verifications.
            const n = perRequest.get(`${suite.alg}/${task.name}/${mode}`) ?? CALIBRATION_COUNT;
            const workMs = result.latency.p50 - base.latency.p50;
            const rows = rates[suite.alg]?.[mode] as Record<string, number[]>;
            rows[task.name] ??= [];
            // A request no slower than the empty one says nothing: recorded as not measured.
            rows[task.name]?.push(workMs > 0 ? (1000 * n) / workMs : Number.NaN);
          }
        }
      }
      log(`  workerd round ${round + 1}/${settings.rounds} done`);
    }
    const counters = JSON.parse(await call(`${origin}/counters`));
    return { rates, counters, baselineMs, perRequest: Object.fromEntries(perRequest) };
  } finally {
    await mf.dispose();
  }
}
