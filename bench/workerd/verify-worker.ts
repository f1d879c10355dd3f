/**
 * The bench Worker: runs inside workerd (through miniflare) and verifies tokens on command, so
 * the same contenders as in Node are timed in the Workers runtime. The timing is taken outside
 * the isolate, by the Node side, from request round trips: a `/run` request verifies `n` tokens
 * one after another and answers when done; an `n=0` request is the round-trip baseline.
 *
 * - `POST /setup` with a {@link Suite}: builds every contender for that algorithm.
 * - `GET /run?alg=&id=&mode=cold|warm&n=`: `n` verifications by one contender.
 * - `GET /counters`: this project's counters (provider fetches, token-cache hits).
 */
import { type Contender, makeContenders, type OursFactory } from '../lib/contenders.ts';
import type { Suite } from '../lib/fixtures.ts';
import { makeOurs, type OursCounters } from '../lib/ours.ts';

interface Prepared {
  suite: Suite;
  /** Separate instances per path, so the warm path's token never sits in the cold path's cache. */
  contenders: Record<'cold' | 'warm', Map<string, Contender>>;
  /** Next pool index per contender, for the cold path; kept across requests and rounds. */
  cursors: Map<string, number>;
}

const prepared = new Map<string, Prepared>();
const counters: Record<string, OursCounters> = {};

/** This project's entry points, as the Worker adapter configures them (no shared in-flight fetch). */
const ours: OursFactory | undefined =
  typeof makeOurs === 'function'
    ? async (suite, entry, tag) => {
        const built = await makeOurs(suite, entry, false);
        counters[`${suite.alg}/${entry}/${tag}`] = built.counters;
        return built.call;
      }
    : undefined;

async function setup(request: Request): Promise<Response> {
  const suite = (await request.json()) as Suite;
  const cold = await makeContenders(suite, ours, 'cold');
  const warm = await makeContenders(suite, ours, 'warm');
  prepared.set(suite.alg, {
    suite,
    contenders: {
      cold: new Map(cold.map((c) => [c.id, c])),
      warm: new Map(warm.map((c) => [c.id, c])),
    },
    cursors: new Map(),
  });
  return Response.json({ contenders: cold.map((c) => c.id) });
}

async function run(params: URLSearchParams): Promise<Response> {
  const entry = prepared.get(params.get('alg') ?? '');
  const id = params.get('id') ?? '';
  const mode = params.get('mode') === 'warm' ? 'warm' : 'cold';
  const contender = entry?.contenders[mode].get(id);
  const n = Number(params.get('n') ?? '0');
  if (!entry || !contender) return new Response('unknown contender', { status: 404 });
  const tokens = entry.suite.tokens;
  if (mode === 'warm') {
    const token = tokens[0] as string;
    for (let i = 0; i < n; i++) await contender.verify(token);
  } else {
    let cursor = entry.cursors.get(id) ?? 0;
    for (let i = 0; i < n; i++) {
      await contender.verify(tokens[cursor] as string);
      cursor = (cursor + 1) % tokens.length;
    }
    entry.cursors.set(id, cursor);
  }
  return new Response('ok');
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/setup') return await setup(request);
      if (url.pathname === '/run') return await run(url.searchParams);
      if (url.pathname === '/counters') return Response.json(counters);
      return new Response('not found', { status: 404 });
    } catch (error) {
      // A failed verification must stop the bench, not be timed as a fast answer.
      const name = error instanceof Error ? error.message.slice(0, 200) : 'error';
      return new Response(name, { status: 500 });
    }
  },
};
