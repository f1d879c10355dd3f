/**
 * Where the cold path's time goes besides the signature: the same contenders as the Node
 * section, with `crypto.subtle.verify` replaced for the duration by a function that answers
 * `true` at once. What remains is each verifier's own JavaScript (decoding, key choice, claim
 * checks, caches, allocation), measured without the thread-pool noise of Node's WebCrypto, so
 * the difference between this project and bare jose is the cost of our layers in microseconds.
 * A diagnostic, not a target: it says what a missed cold-path ratio is made of.
 */
import { Bench } from 'tinybench';
import { makeContenders, type OursFactory } from '../lib/contenders.ts';
import type { Suite } from '../lib/fixtures.ts';
import { rotate } from '../lib/stats.ts';
import { BATCH, type RoundSettings } from './node-verify.ts';

/** Per-round microseconds per call with the signature check stubbed, by algorithm and contender. */
export type LayerTable = Record<string, Record<string, number[]>>;

/**
 * The contenders compared: those that check signatures through `crypto.subtle.verify` (in Node
 * aws-jwt-verify uses `node:crypto`, which the stub would not reach; hono re-imports the key on
 * every call, which is not a layer cost).
 */
const MEASURED = new Set(['jose', 'ours-verify', 'ours-request']);

/** Runs the stubbed-signature figures on the cold path for every suite. */
export async function runLayers(
  suites: readonly Suite[],
  settings: RoundSettings,
  ours: OursFactory,
): Promise<LayerTable> {
  const table: LayerTable = {};
  const subtle = crypto.subtle as unknown as Record<string, unknown>;
  const prepared = [];
  for (const suite of suites) {
    const list = (await makeContenders(suite, ours, 'layers'))
      .filter((c) => MEASURED.has(c.id))
      // One cursor per contender for the whole section: a cursor restarted each round would
      // revisit tokens still in the token cache.
      .map((contender) => ({ contender, cursor: { i: 0 } }));
    prepared.push({ suite, list });
    table[suite.alg] = {};
  }
  // An own property shadows the prototype's method; deleting it restores the real one.
  subtle.verify = async () => true;
  try {
    for (let round = 0; round < settings.rounds; round++) {
      for (const { suite, list } of prepared) {
        const bench = new Bench({ time: settings.timeMs, warmupTime: settings.warmupMs });
        for (const { contender, cursor } of rotate(list, round)) {
          const tokens = suite.tokens;
          bench.add(contender.id, async () => {
            for (let j = 0; j < BATCH; j++) {
              await contender.verify(tokens[cursor.i++ % tokens.length] as string);
            }
          });
        }
        await bench.run();
        for (const task of bench.tasks) {
          const result = task.result;
          if (!('latency' in result)) throw new Error(`${task.name} did not complete`);
          const row = table[suite.alg] as Record<string, number[]>;
          row[task.name] ??= [];
          row[task.name]?.push((1000 * result.latency.p50) / BATCH);
        }
      }
    }
  } finally {
    delete subtle.verify;
  }
  return table;
}
