/**
 * The targets of issue 7, judged on the figures of one run, and the non-rate figures (provider
 * requests, start-up, size, HTTP) as printed lines. Ratios compare contenders measured in the
 * same rounds; counts are exact.
 */

import type { GateHttpResult } from '../sections/gate-http.ts';
import type { ProviderNodeResult } from '../sections/provider-node.ts';
import type { SizeResult } from '../sections/size.ts';
import type { LambdaStartup, WorkerStartup } from '../sections/startup.ts';
import { type RuntimeFigures, ratioTargets, type Target } from './report.ts';
import { median, ratio, round3, roundSpread, type Spread, spread } from './stats.ts';

/** Everything one run produced, as written to the JSON file. */
export interface Results {
  date: string;
  machine: { cpu: string; cores: number; node: string; os: string };
  settings: Record<string, unknown> & { poolSize: number };
  node?: RuntimeFigures & { counters: Record<string, unknown> };
  workerd?: RuntimeFigures & {
    counters: Record<string, unknown>;
    baselineMs: Spread;
    perRequest: Record<string, number>;
  };
  /** Microseconds per cold call with the signature check stubbed, and ours minus jose. */
  layers?: Record<string, Record<string, Spread>>;
  providerNode?: ProviderNodeResult;
  gateHttp?: GateHttpResult | null;
  workerStartup?: WorkerStartup | null;
  lambdaStartup?: LambdaStartup | null;
  size?: SizeResult;
  targets?: Target[];
  durationSeconds?: number;
}

/** The Worker bundle budget: 16 KiB gzipped. */
export const WORKER_GZIP_BUDGET_BYTES = 16 * 1024;

function countTarget(
  id: string,
  description: string,
  value: number | undefined,
  expected: number,
): Target {
  return {
    id,
    description,
    value: value ?? null,
    bound: `== ${expected}`,
    pass: value === undefined ? null : value === expected,
  };
}

function boundTarget(
  id: string,
  description: string,
  s: Spread | undefined,
  bound: number,
  atMost: boolean,
): Target {
  const value = s && Number.isFinite(s.median) ? s.median : null;
  return {
    id,
    description,
    value,
    ...(s && value !== null ? { range: [s.min, s.max] as [number, number] } : {}),
    bound: `${atMost ? '<=' : '>='} ${bound}`,
    pass: value === null ? null : atMost ? value <= bound : value >= bound,
  };
}

/** Judges every target that the run measured; unmeasured ones are listed with `pass: null`. */
export function buildTargets(r: Results): Target[] {
  const targets: Target[] = [];
  for (const [name, figures] of [
    ['node', r.node],
    ['workerd', r.workerd],
  ] as const) {
    targets.push(
      ...ratioTargets(
        name,
        figures,
        'warm',
        'ours-verify/webcrypto',
        20,
        'warm verify >= 20x raw WebCrypto',
      ),
      ...ratioTargets(name, figures, 'cold', 'ours-verify/jose', 0.95, 'cold verify >= 0.95x jose'),
      ...ratioTargets(
        name,
        figures,
        'cold',
        'ours-request/jose',
        0.9,
        'cold request path >= 0.9x jose',
      ),
    );
  }

  // Harness check: the cold path must never be answered by the verified-token cache.
  for (const [name, figures] of [
    ['node', r.node],
    ['workerd', r.workerd],
  ] as const) {
    if (!figures) continue;
    const cold = Object.entries(figures.counters)
      .filter(([key]) => key.endsWith('/cold'))
      .map(([, c]) => (c as { tokenCacheHits?: number }).tokenCacheHits ?? 0);
    if (cold.length === 0) continue;
    targets.push(
      countTarget(
        `check.${name}.coldTokenCacheHits`,
        `(harness check) token-cache hits on the cold path (${name})`,
        cold.reduce((a, b) => a + b, 0),
        0,
      ),
    );
  }

  const p = r.providerNode;
  targets.push(
    countTarget('provider.node.first', 'provider requests, first verification (Node)', p?.first, 1),
    countTarget(
      'provider.node.steady',
      `provider requests, next ${p?.steadyRequests ?? 'N'} verifications (Node)`,
      p?.steady,
      0,
    ),
    countTarget(
      'provider.node.stale',
      'provider requests, first verification once stale (Node)',
      p?.afterStale,
      1,
    ),
    countTarget(
      'provider.node.refreshed',
      'provider requests, after that refresh (Node)',
      p?.afterRefresh,
      0,
    ),
    countTarget(
      'provider.node.stampede',
      `provider requests, ${p?.stampedeRequests ?? 1000} concurrent cold requests (Node)`,
      p?.stampede,
      1,
    ),
    countTarget(
      'provider.workerd.kvWarm',
      'provider requests, fresh KV-warm isolates (workerd)',
      r.workerStartup?.providerRequestsKvWarm,
      0,
    ),
    countTarget(
      'provider.workerd.first',
      'provider requests, first gate request (workerd)',
      r.gateHttp?.providerRequestsFirst,
      1,
    ),
    countTarget(
      'provider.workerd.steady',
      `provider requests, next ${(r.gateHttp?.gateRequests ?? 1) - 1} gate requests (workerd)`,
      r.gateHttp?.providerRequests,
      0,
    ),
  );

  const ws = r.workerStartup;
  targets.push(
    boundTarget(
      'startup.worker',
      'Worker first response / hello-world Worker (fresh workerd)',
      ws ? roundSpread(ratio(ws.firstResponseMs.gate, ws.firstResponseMs.hello)) : undefined,
      1.3,
      true,
    ),
  );
  const ls = r.lambdaStartup;
  targets.push(
    boundTarget(
      'startup.lambda',
      'Lambda bundle import / bare jose bundle import (fresh process)',
      ls ? roundSpread(ratio(ls.ours, ls.jose)) : undefined,
      2,
      true,
    ),
  );
  const shipped = r.size?.shipped?.gzip;
  targets.push({
    id: 'size.worker',
    description: 'Worker bundle gzipped, bytes (dist/worker/index.js)',
    value: shipped ?? null,
    bound: `< ${WORKER_GZIP_BUDGET_BYTES}`,
    pass: shipped === undefined ? null : shipped < WORKER_GZIP_BUDGET_BYTES,
  });
  const g = r.gateHttp;
  targets.push(
    boundTarget(
      'http.gate',
      'gate requests/s / pass-through Worker requests/s (workerd, HTTP)',
      g ? roundSpread(ratio(g.rps.gate, g.rps.passthrough)) : undefined,
      0.9,
      false,
    ),
  );
  return targets;
}

/** Medians of the stubbed-signature rounds, plus what this project adds over bare jose. */
export function summariseLayers(
  table: Record<string, Record<string, number[]>>,
): Record<string, Record<string, Spread>> {
  const out: Record<string, Record<string, Spread>> = {};
  for (const [alg, rows] of Object.entries(table)) {
    const row: Record<string, Spread> = {};
    for (const [id, values] of Object.entries(rows)) row[id] = roundSpread(spread(values));
    const jose = rows.jose ?? [];
    for (const id of ['ours-verify', 'ours-request']) {
      const values = rows[id];
      if (!values) continue;
      row[`${id} - jose`] = roundSpread(spread(values.map((v, i) => v - (jose[i] ?? Number.NaN))));
    }
    out[alg] = row;
  }
  return out;
}

const ms = (values: readonly number[]) => {
  const s = spread(values);
  return `${round3(s.median)} ms (${round3(s.min)}-${round3(s.max)})`;
};

/** The start-up, size, HTTP and provider figures as lines. */
export function formatOther(r: Results): string[] {
  const lines: string[] = [];
  if (r.layers) {
    lines.push(
      '',
      'Cold path without the signature (crypto.subtle.verify stubbed, Node), microseconds per call:',
    );
    for (const [alg, row] of Object.entries(r.layers)) {
      const cells = Object.entries(row).map(([id, s]) => `${id} ${s.median} (${s.min}-${s.max})`);
      lines.push(`  ${alg}: ${cells.join('; ')}`);
    }
  }
  const ws = r.workerStartup;
  if (ws) {
    lines.push(
      '',
      'Worker start-up, fresh workerd instance per measurement (construction to first response):',
    );
    lines.push(
      `  hello-world Worker          ${ms(ws.firstResponseMs.hello)}; first request alone ${ms(ws.firstRequestMs.hello)}`,
    );
    lines.push(
      `  gate (valid token, KV warm) ${ms(ws.firstResponseMs.gate)}; first request alone ${ms(ws.firstRequestMs.gate)}`,
    );
    lines.push(
      `  minimal jose gate (fetches) ${ms(ws.firstResponseMs.jose)}; first request alone ${ms(ws.firstRequestMs.jose)}`,
    );
  }
  const ls = r.lambdaStartup;
  if (ls) {
    lines.push('', 'Lambda bundle import, fresh Node process per measurement (await import):');
    lines.push(`  bare jose verification bundle  ${ms(ls.jose)}`);
    lines.push(`  dist/lambda/index.mjs          ${ms(ls.ours)}`);
  }
  const g = r.gateHttp;
  if (g) {
    lines.push('', 'HTTP through workerd, one request in flight, loopback origin (requests/s):');
    lines.push(
      `  pass-through Worker  ${Math.round(median(g.rps.passthrough))} (${g.rps.passthrough.map(Math.round).join(', ')})`,
    );
    lines.push(
      `  gate, repeated token ${Math.round(median(g.rps.gate))} (${g.rps.gate.map(Math.round).join(', ')})`,
    );
    const cpu = ratio(g.cpuUsPerRequest.gate, g.cpuUsPerRequest.passthrough);
    if (Number.isFinite(cpu.median)) {
      lines.push(
        `  workerd CPU per request: gate ${round3(median(g.cpuUsPerRequest.gate))} us, pass-through ${round3(median(g.cpuUsPerRequest.passthrough))} us; gate/pass-through ${round3(cpu.median)} (${round3(cpu.min)}-${round3(cpu.max)})`,
      );
    }
  }
  const s = r.size;
  if (s) {
    lines.push('', 'Bundle sizes, bytes (raw / gzip -9):');
    if (s.shipped)
      lines.push(`  dist/worker/index.js as built          ${s.shipped.raw} / ${s.shipped.gzip}`);
    for (const [name, b] of Object.entries(s.minified)) {
      lines.push(
        `  minimal ${name.padEnd(16)} Worker, minified ${String(b.raw).padStart(7)} / ${b.gzip}`,
      );
    }
    for (const [name, b] of Object.entries(s.lambda)) {
      lines.push(
        `  Lambda ${name.padEnd(6)} bundle               ${String(b.raw).padStart(7)} / ${b.gzip}`,
      );
    }
  }
  return lines;
}
