/**
 * `npm run bench`: every figure of bench/README.md in one run, printed as tables and written as
 * JSON (`bench/results/latest.json`, or `bench/results/quick.json.tmp` with `--quick`).
 *
 * Options: `--quick` (fewer and shorter rounds, smaller pools), `--only=a,b` (sections: node,
 * layers, workerd, provider, gate, startup, lambda, size), `--algs=RS256,ES256` (fewer algorithms),
 * `--rounds=N`, `--out=FILE`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import path from 'node:path';
import { coreAvailable, ROOT } from './lib/bundle.ts';
import type { OursFactory } from './lib/contenders.ts';
import { ALGORITHMS, makeSuite, type Suite } from './lib/fixtures.ts';
import { startGateWorld } from './lib/loopback.ts';
import { formatRates, formatTargets, summariseRates } from './lib/report.ts';
import { roundSpread, spread } from './lib/stats.ts';
import { writeSummary } from './lib/summary.ts';
import { buildTargets, formatOther, type Results, summariseLayers } from './lib/targets.ts';
import { runGateHttp } from './sections/gate-http.ts';
import { runNodeVerify } from './sections/node-verify.ts';
import { runSize } from './sections/size.ts';
import { runLambdaStartup, runWorkerStartup } from './sections/startup.ts';
import { runWorkerdVerify } from './sections/workerd-verify.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const outArg = args.find((a) => a.startsWith('--out='))?.slice(6);
const out =
  outArg ?? path.join(ROOT, quick ? 'bench/results/quick.json.tmp' : 'bench/results/latest.json');
const wanted = (section: string) => !only || only.includes(section);
const algs = args
  .find((a) => a.startsWith('--algs='))
  ?.slice(7)
  .split(',');
const log = (line: string) => process.stderr.write(`${line}\n`);

const settings = quick
  ? { rounds: 2, timeMs: 60, warmupMs: 10, startupRounds: 2, lambdaRounds: 4, gateTimeMs: 150 }
  : { rounds: 9, timeMs: 70, warmupMs: 10, startupRounds: 7, lambdaRounds: 12, gateTimeMs: 200 };
const roundsArg = args.find((a) => a.startsWith('--rounds='));
if (roundsArg) settings.rounds = Number(roundsArg.slice(9));

/** Loads this project's contender factory when the core exists. */
async function oursFactory(): Promise<
  { factory: OursFactory; tokenCacheEntries: number; counters: Record<string, unknown> } | undefined
> {
  if (!coreAvailable()) return undefined;
  const { makeOurs } = await import('./lib/ours.ts');
  const counters: Record<string, unknown> = {};
  let tokenCacheEntries = 0;
  const factory: OursFactory = async (suite, entry, tag) => {
    const built = await makeOurs(suite, entry, true);
    counters[`${suite.alg}/${entry}/${tag}`] = built.counters;
    tokenCacheEntries = built.tokenCacheEntries;
    return built.call;
  };
  // Read the token cache's capacity once, so the cold pool can be sized above it.
  const probe = await makeSuite('ES256', 1);
  await factory(probe, 'verify', 'probe');
  delete counters['ES256/verify/probe'];
  return { factory, tokenCacheEntries, counters };
}

async function main(): Promise<void> {
  const started = Date.now();
  const cpu = cpus();
  const results: Results = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      node: process.version,
      os: `${platform()} ${release()}`,
    },
    settings: { quick, ...settings, poolSize: 0 },
  };

  const ours = await oursFactory();
  if (!ours) log('core (shared/authorizer.ts) not built yet: measuring the contenders only');
  // Larger than the verified-token cache, so the cold path never hits it.
  const poolSize = Math.max(quick ? 256 : 1024, Math.ceil((ours?.tokenCacheEntries ?? 0) * 1.25));
  results.settings.poolSize = poolSize;

  if (wanted('node') || wanted('layers') || wanted('workerd')) {
    log(`minting ${poolSize} tokens per algorithm ...`);
    const suites: Suite[] = [];
    for (const alg of ALGORITHMS) {
      if (!algs || algs.includes(alg)) suites.push(await makeSuite(alg, poolSize));
    }
    if (wanted('node')) {
      log('Node verification ...');
      const rates = await runNodeVerify(suites, settings, ours?.factory, log);
      results.node = { ...summariseRates(rates), counters: ours?.counters ?? {} };
    }
    if (wanted('layers') && ours) {
      log('Node layers (signature check stubbed) ...');
      const { runLayers } = await import('./sections/layers.ts');
      const layerSuites = suites.filter((s) => s.alg === 'RS256' || s.alg === 'ES256');
      const table = await runLayers(layerSuites, { ...settings, rounds: 3 }, ours.factory);
      results.layers = summariseLayers(table);
    }
    if (wanted('workerd')) {
      log('workerd verification (bench Worker in miniflare, timed from outside) ...');
      const w = await runWorkerdVerify(suites, settings, log);
      results.workerd = {
        ...summariseRates(w.rates),
        counters: w.counters,
        baselineMs: roundSpread(spread(w.baselineMs)),
        perRequest: w.perRequest,
      };
    }
  }

  const world = await startGateWorld(quick ? 100 : 300);
  try {
    if (wanted('provider') && ours) {
      log('provider requests in Node ...');
      const { runProviderNode } = await import('./sections/provider-node.ts');
      results.providerNode = await runProviderNode(world, 1000);
    }
    if (wanted('gate')) {
      log('gate over HTTP in workerd ...');
      const gateSettings = { ...settings, timeMs: settings.gateTimeMs };
      results.gateHttp = (await runGateHttp(world, gateSettings, log)) ?? null;
    }
    if (wanted('startup')) {
      log('Worker start-up (fresh workerd per measurement) ...');
      results.workerStartup = (await runWorkerStartup(world, settings.startupRounds, log)) ?? null;
    }
  } finally {
    await world.close();
  }
  if (wanted('lambda')) {
    log('Lambda bundle import (fresh process per measurement) ...');
    const env = {
      JWT_ISSUER: world.bindings.JWT_ISSUER as string,
      JWT_AUDIENCE: world.bindings.JWT_AUDIENCE as string,
      JWKS_URL: world.bindings.JWKS_URL as string,
    };
    results.lambdaStartup = (await runLambdaStartup(env, settings.lambdaRounds)) ?? null;
  }
  if (wanted('size')) {
    log('bundle sizes ...');
    results.size = await runSize();
  }

  results.targets = buildTargets(results);
  results.durationSeconds = Math.round((Date.now() - started) / 1000);

  const lines = [
    `edge-jwt-authorizer benchmarks, ${results.date}`,
    `${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}, ${results.machine.os}`,
    `${settings.rounds} rounds${quick ? ' (--quick)' : ''}, pool of ${poolSize} tokens per algorithm, one verification in flight`,
  ];
  if (results.node) lines.push(...formatRates('Node', results.node));
  if (results.workerd) lines.push(...formatRates('workerd (timed from outside)', results.workerd));
  lines.push(...formatOther(results));
  lines.push(...formatTargets(results.targets));
  lines.push(
    '',
    `took ${results.durationSeconds} s; figures written to ${path.relative(ROOT, out)}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);

  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  // SUMMARY.md quotes full runs of every section only.
  if (!quick && !only && !algs && !outArg) {
    writeSummary(path.join(ROOT, 'bench/results/SUMMARY.md'), results);
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
