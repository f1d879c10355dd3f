/**
 * `bench/results/SUMMARY.md`: the latest full run's ratios in a form the README's performance
 * section can quote. Everything above the notes marker is rewritten from the run; the notes
 * below it (why a target is missed, what would reach it) are written by hand and kept.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Target } from './report.ts';
import { median, type Spread } from './stats.ts';
import type { Results } from './targets.ts';

/** Everything after this line in SUMMARY.md survives a new run. */
export const NOTES_MARKER = '<!-- notes: kept across runs -->';

const ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

function cell(s: Spread | undefined): string {
  if (!s || !Number.isFinite(s.median)) return 'n/a';
  return `${s.median}x (${s.min}-${s.max})`;
}

function mark(t: Target): string {
  return t.pass === null ? 'n/a' : t.pass ? 'pass' : '**miss**';
}

function ratioRows(r: Results): string[] {
  const rows: string[] = [];
  const lines: [string, 'node' | 'workerd', 'cold' | 'warm', string][] = [
    ['verifyToken / jose, cold', 'node', 'cold', 'ours-verify/jose'],
    ['authorize / jose, cold', 'node', 'cold', 'ours-request/jose'],
    ['verifyToken / raw WebCrypto, warm', 'node', 'warm', 'ours-verify/webcrypto'],
    ['authorize / raw WebCrypto, warm', 'node', 'warm', 'ours-request/webcrypto'],
    ['verifyToken / jose, cold', 'workerd', 'cold', 'ours-verify/jose'],
    ['authorize / jose, cold', 'workerd', 'cold', 'ours-request/jose'],
    ['verifyToken / raw WebCrypto, warm', 'workerd', 'warm', 'ours-verify/webcrypto'],
    ['authorize / raw WebCrypto, warm', 'workerd', 'warm', 'ours-request/webcrypto'],
  ];
  for (const [label, runtime, mode, key] of lines) {
    const figures = r[runtime];
    if (!figures) continue;
    const cells = ALGS.map((alg) => cell(figures.ratios[alg]?.[mode]?.[key]));
    rows.push(`| ${runtime} | ${label} | ${cells.join(' | ')} |`);
  }
  return rows;
}

function ms(values: readonly number[] | undefined): string {
  if (!values || values.length === 0) return 'n/a';
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted[Math.floor(sorted.length / 2)] as number;
  return `${Math.round(mid)} ms`;
}

/** Start-up, HTTP and size figures, as short lists. */
function otherFigures(r: Results): string[] {
  const lines: string[] = [];
  if (r.layers) {
    lines.push(
      '## Cold path without the signature (Node, crypto.subtle.verify stubbed, us per call)',
      '',
    );
    for (const [alg, row] of Object.entries(r.layers)) {
      const get = (id: string) => row[id]?.median ?? 'n/a';
      lines.push(
        `- ${alg}: jose ${get('jose')}, verifyToken ${get('ours-verify')} (+${get('ours-verify - jose')}), authorize ${get('ours-request')} (+${get('ours-request - jose')}).`,
      );
    }
    lines.push('');
  }
  const ws = r.workerStartup;
  if (ws) {
    lines.push(
      '## Start-up (median, fresh runtime per measurement)',
      '',
      `- Worker, construction to first response: hello world ${ms(ws.firstResponseMs.hello)}, this gate ${ms(ws.firstResponseMs.gate)} (KV warm), a minimal jose gate ${ms(ws.firstResponseMs.jose)}.`,
    );
  }
  const ls = r.lambdaStartup;
  if (ls)
    lines.push(
      `- Lambda, \`await import()\`: bare jose bundle ${ms(ls.jose)}, this Lambda ${ms(ls.ours)}.`,
    );
  if (lines.length > 0) lines.push('');
  const g = r.gateHttp;
  if (g) {
    lines.push(
      '## Gate over HTTP (workerd, loopback origin, one request in flight)',
      '',
      `- requests/s: pass-through ${Math.round(median(g.rps.passthrough))}, gate ${Math.round(median(g.rps.gate))}; workerd CPU per request: pass-through ${Math.round(median(g.cpuUsPerRequest.passthrough))} us, gate ${Math.round(median(g.cpuUsPerRequest.gate))} us.`,
      '',
    );
  }
  const size = r.size;
  if (size) {
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
    const minified = Object.entries(size.minified)
      .filter(([name]) => name !== 'hello')
      .map(([name, b]) => `${name} ${kb(b.gzip)}`)
      .join(', ');
    lines.push(
      '## Size (gzip -9)',
      '',
      `- \`dist/worker/index.js\` as built: ${size.shipped ? kb(size.shipped.gzip) : 'not built'}.`,
      `- Minimal gate Workers, esbuild minified: ${minified}.`,
      '',
    );
  }
  return lines;
}

/** Writes SUMMARY.md for `r`, keeping the hand-written notes of the previous file. */
export function writeSummary(file: string, r: Results): void {
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const at = previous.indexOf(NOTES_MARKER);
  const notes = at >= 0 ? previous.slice(at + NOTES_MARKER.length) : '\n';
  const lines = [
    '# Benchmark summary',
    '',
    `Run of ${r.date.slice(0, 16).replace('T', ' ')} UTC on ${r.machine.cpu}, ${r.machine.cores} cores,`,
    `Node ${r.machine.node} (${r.machine.os}); ${String(r.settings.rounds)} rounds. Figures:`,
    '`bench/results/latest.json`; how each is taken: `bench/README.md`. Ratios are medians of',
    'per-round ratios (both sides measured in the same round), with the per-round range.',
    '',
    '## Verification ratios',
    '',
    `| runtime | ratio | ${ALGS.join(' | ')} |`,
    `|---|---|${ALGS.map(() => '---').join('|')}|`,
    ...ratioRows(r),
    '',
    ...otherFigures(r),
    '## Targets',
    '',
    '| target | measured | bound | result |',
    '|---|---|---|---|',
    ...(r.targets ?? []).map((t) => {
      const value =
        t.value === null
          ? 'not measured'
          : t.range
            ? `${t.value} (${t.range[0]}-${t.range[1]})`
            : `${t.value}`;
      return `| ${t.description} | ${value} | ${t.bound} | ${mark(t)} |`;
    }),
    '',
    NOTES_MARKER,
  ];
  writeFileSync(file, `${lines.join('\n')}${notes}`);
}
