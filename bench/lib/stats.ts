/**
 * Summaries of repeated rounds. The machines are shared and noisy, so a figure is the median of
 * its rounds with the minimum and maximum beside it, and a comparison is the median of per-round
 * ratios (both sides of a ratio measured in the same round, seconds apart).
 */

/** Median with its range. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** The per-round values, in round order. */
  rounds: number[];
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median, minimum and maximum of per-round values; rounds not measured (NaN) are left out. */
export function spread(all: readonly number[]): Spread {
  const values = all.filter(Number.isFinite);
  return {
    median: median(values),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
    rounds: [...all],
  };
}

/** Per-round ratios `a[i] / b[i]`, summarised. Rounds missing on either side are skipped. */
export function ratio(a: readonly number[], b: readonly number[]): Spread {
  const values: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Number.isFinite(x) && Number.isFinite(y) && y !== 0) values.push(x / y);
  }
  return spread(values);
}

/** Rounds a figure for the JSON output: three significant digits are all the noise allows. */
export function round3(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(Math.min(digits, 6)));
}

/** A {@link Spread} with its numbers rounded for output. */
export function roundSpread(s: Spread): Spread {
  return {
    median: round3(s.median),
    min: round3(s.min),
    max: round3(s.max),
    rounds: s.rounds.map(round3),
  };
}

/** Rotates `items` by `by` places, so each round starts with a different contender. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = ((by % items.length) + items.length) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
