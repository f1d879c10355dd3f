/**
 * Verification rate in Node: every contender on the same tokens, one verification in flight,
 * timed by tinybench. A round runs each contender briefly, in a rotated order; rounds repeat, so
 * contenders interleave and a slow moment of the machine falls on all of them.
 *
 * Cold: each call takes the next token of the pool (the pool is larger than any token cache).
 * Warm: each call repeats the first token.
 */
import { Bench } from 'tinybench';
import { type Contender, makeContenders, type OursFactory } from '../lib/contenders.ts';
import type { Suite } from '../lib/fixtures.ts';
import { rotate } from '../lib/stats.ts';

/** Verifications per tinybench iteration: amortises the timer over several calls. */
export const BATCH = 16;

/** Per-round rates (verifications per second) by algorithm, path and contender. */
export type RateTable = Record<string, Record<'cold' | 'warm', Record<string, number[]>>>;

/** How long each contender runs per round. */
export interface RoundSettings {
  rounds: number;
  /** Milliseconds of measurement per contender per round. */
  timeMs: number;
  warmupMs: number;
}

/** A function that hands out tokens: the pool in turn (cold) or the first token (warm). */
function tokenSource(tokens: readonly string[], mode: 'cold' | 'warm'): () => string {
  const first = tokens[0] as string;
  if (mode === 'warm') return () => first;
  let i = 0;
  return () => tokens[i++ % tokens.length] as string;
}

/** One contender's timed body: `BATCH` verifications in a row, each awaited. */
function batchOf(contender: Contender, next: () => string): () => Promise<void> {
  return async () => {
    for (let i = 0; i < BATCH; i++) await contender.verify(next());
  };
}

/**
 * Runs the Node figures for every suite. `ours` is absent when the core is not built yet; the
 * table then lacks this project's rows.
 */
export async function runNodeVerify(
  suites: readonly Suite[],
  settings: RoundSettings,
  ours: OursFactory | undefined,
  log: (line: string) => void,
): Promise<RateTable> {
  const table: RateTable = {};
  // One instance of every contender per algorithm and path (this project's token caches and
  // counters stay apart), each with one token source that keeps its place across rounds.
  const prepared = new Map<string, { contender: Contender; next: () => string }[]>();
  for (const suite of suites) {
    for (const mode of ['cold', 'warm'] as const) {
      const list = await makeContenders(suite, ours, mode);
      prepared.set(
        `${suite.alg}/${mode}`,
        list.map((contender) => ({ contender, next: tokenSource(suite.tokens, mode) })),
      );
    }
    table[suite.alg] = { cold: {}, warm: {} };
  }

  for (let round = 0; round < settings.rounds; round++) {
    for (const suite of suites) {
      for (const mode of ['cold', 'warm'] as const) {
        const bench = new Bench({
          time: settings.timeMs,
          warmupTime: settings.warmupMs,
          iterations: 16,
          throws: true,
        });
        for (const { contender, next } of rotate(
          prepared.get(`${suite.alg}/${mode}`) ?? [],
          round,
        )) {
          bench.add(contender.id, batchOf(contender, next));
        }
        await bench.run();
        for (const task of bench.tasks) {
          const result = task.result;
          if (!('latency' in result)) throw new Error(`${task.name} did not complete`);
          // The median sample, not the mean: a burst of other load on a shared machine moves
          // the mean of a short task a lot and its median little.
          const rate = (1000 * BATCH) / result.latency.p50;
          const rows = table[suite.alg]?.[mode] as Record<string, number[]>;
          rows[task.name] ??= [];
          rows[task.name]?.push(rate);
        }
      }
    }
    log(`  node round ${round + 1}/${settings.rounds} done`);
  }
  return table;
}
