/**
 * Turns the raw rounds into the figures a reader needs: medians with their range, per-round
 * ratios against the anchors, the targets with pass or miss, and the same as a printed table.
 */
import { ratio, roundSpread, type Spread, spread } from './stats.ts';

/** Per-round rates by algorithm, path and contender (as the verify sections return them). */
export type Rates = Record<string, Record<'cold' | 'warm', Record<string, number[]>>>;

/** The summarised rates and ratios of one runtime. */
export interface RuntimeFigures {
  /** Verifications per second. */
  rates: Record<string, Record<string, Record<string, Spread>>>;
  /** `contender/anchor` per-round ratios of rates. */
  ratios: Record<string, Record<string, Record<string, Spread>>>;
}

/** One target: the measured median ratio (or count) and whether it meets the bound. */
export interface Target {
  id: string;
  description: string;
  /** The median (ratios) or the count. */
  value: number | null;
  /** Per-round range of a ratio, when the value is one. */
  range?: [number, number];
  bound: string;
  pass: boolean | null;
  note?: string;
}

/** Anchors per path: cold compares to bare jose, warm to raw WebCrypto. */
const ANCHORS = { cold: ['jose', 'webcrypto'], warm: ['webcrypto', 'jose'] } as const;

/** Summarises one runtime's rounds into rates and ratios against both anchors. */
export function summariseRates(rates: Rates): RuntimeFigures {
  const figures: RuntimeFigures = { rates: {}, ratios: {} };
  for (const [alg, modes] of Object.entries(rates)) {
    figures.rates[alg] = {};
    figures.ratios[alg] = {};
    for (const mode of ['cold', 'warm'] as const) {
      const rows = modes[mode];
      const summary: Record<string, Spread> = {};
      const ratios: Record<string, Spread> = {};
      for (const [id, values] of Object.entries(rows)) summary[id] = roundSpread(spread(values));
      for (const anchor of ANCHORS[mode]) {
        const base = rows[anchor];
        if (!base) continue;
        for (const [id, values] of Object.entries(rows)) {
          if (id !== anchor) ratios[`${id}/${anchor}`] = roundSpread(ratio(values, base));
        }
      }
      (figures.rates[alg] as Record<string, unknown>)[mode] = summary;
      (figures.ratios[alg] as Record<string, unknown>)[mode] = ratios;
    }
  }
  return figures;
}

/** A ratio target per algorithm: `contender/anchor` on `mode`, at least or at most `bound`. */
export function ratioTargets(
  runtime: string,
  figures: RuntimeFigures | undefined,
  mode: 'cold' | 'warm',
  key: string,
  bound: number,
  description: string,
): Target[] {
  if (!figures) return [];
  return Object.keys(figures.ratios).map((alg) => {
    const s = figures.ratios[alg]?.[mode]?.[key];
    const value = s && Number.isFinite(s.median) ? s.median : null;
    return {
      id: `${runtime}.${mode}.${key}.${alg}`,
      description: `${description} (${runtime}, ${alg})`,
      value,
      ...(s && value !== null ? { range: [s.min, s.max] as [number, number] } : {}),
      bound: `>= ${bound}`,
      pass: value === null ? null : value >= bound,
    };
  });
}

const CONTENDER_LABELS: Record<string, string> = {
  webcrypto: 'raw crypto.subtle.verify (floor)',
  jose: 'jose jwtVerify + local JWKS',
  'aws-jwt-verify': 'aws-jwt-verify (cached JWKS)',
  'cf-worker-jwt': '@tsndr/cloudflare-worker-jwt',
  hono: 'hono verifyWithJwks',
  'ours-verify': 'this project: verifyToken',
  'ours-request': 'this project: authorize (request)',
};

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function rate(s: Spread | undefined): string {
  if (!s) return 'n/a';
  const k = (v: number) => (v >= 1e5 ? `${Math.round(v / 1000)}k` : `${(v / 1000).toFixed(1)}k`);
  return `${k(s.median)} (${k(s.min)}-${k(s.max)})`;
}

function times(s: Spread | undefined): string {
  if (!s || !Number.isFinite(s.median)) return 'n/a';
  const f = (v: number) => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
  return `${f(s.median)}x (${f(s.min)}-${f(s.max)})`;
}

/** The verification table of one runtime: rates, then ratios against the path's anchor. */
export function formatRates(title: string, figures: RuntimeFigures): string[] {
  const algs = Object.keys(figures.rates);
  const lines: string[] = [];
  for (const mode of ['cold', 'warm'] as const) {
    const anchor = ANCHORS[mode][0];
    lines.push('');
    lines.push(
      `${title}, ${mode} path (${mode === 'cold' ? 'a distinct token per call' : 'the same token repeated'}): verifications/s, median (min-max) over rounds`,
    );
    lines.push(`${pad('contender', 36)}${algs.map((a) => pad(a, 24, true)).join('')}`);
    const ids = Object.keys(CONTENDER_LABELS);
    for (const id of ids) {
      const cells = algs.map((alg) => pad(rate(figures.rates[alg]?.[mode]?.[id]), 24, true));
      if (cells.every((c) => c.trim() === 'n/a')) continue;
      lines.push(`${pad(CONTENDER_LABELS[id] ?? id, 36)}${cells.join('')}`);
    }
    lines.push(`  ratio to ${CONTENDER_LABELS[anchor]}, per round, median (min-max):`);
    for (const id of ids) {
      if (id === anchor) continue;
      const cells = algs.map((alg) =>
        pad(times(figures.ratios[alg]?.[mode]?.[`${id}/${anchor}`]), 24, true),
      );
      if (cells.every((c) => c.trim() === 'n/a')) continue;
      lines.push(`${pad(`  ${CONTENDER_LABELS[id] ?? id}`, 36)}${cells.join('')}`);
    }
  }
  return lines;
}

/** The targets as lines: PASS, MISS or n/a, the value and the bound. */
export function formatTargets(targets: readonly Target[]): string[] {
  const lines = ['', 'Targets (ratios measured in the same run):'];
  for (const t of targets) {
    const mark = t.pass === null ? ' n/a' : t.pass ? 'PASS' : 'MISS';
    const value =
      t.value === null
        ? 'not measured'
        : t.range
          ? `${t.value} (${t.range[0]}-${t.range[1]})`
          : `${t.value}`;
    lines.push(
      `  ${mark}  ${pad(t.description, 72)} ${pad(value, 24)} target ${t.bound}${t.note ? `  [${t.note}]` : ''}`,
    );
  }
  return lines;
}
