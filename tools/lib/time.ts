/**
 * Reading and showing instants: `--at` accepts what people paste from logs (an ISO 8601 date,
 * epoch seconds as JWT claims carry them, or epoch milliseconds as JavaScript logs them).
 */
import { UsageError } from './output.ts';

/** Epoch seconds above this are taken as milliseconds (year 5138 in seconds). */
const MILLISECONDS_THRESHOLD = 1e11;

/** The largest instant a JavaScript `Date` holds, either side of 1970 (ECMA-262 §21.4.1.2). */
const MAX_DATE_MS = 8.64e15;

/** Parses `--at`: ISO 8601, epoch seconds or epoch milliseconds; returns epoch milliseconds. */
export function parseInstant(value: string): number {
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) {
    const number = Number(text);
    const ms = Math.abs(number) >= MILLISECONDS_THRESHOLD ? number : number * 1000;
    // Past this a Date is invalid and every later toISOString() throws "Invalid time value".
    if (Math.abs(ms) > MAX_DATE_MS) {
      throw new UsageError(
        `"${value}" is out of range as a time: use an instant between the years -271821 and ` +
          '275760 (ISO 8601, epoch seconds or epoch milliseconds)',
      );
    }
    return ms;
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `cannot read "${value}" as a time: use ISO 8601 (2024-05-01T12:00:00Z) or epoch seconds`,
    );
  }
  return ms;
}

/** An epoch-seconds claim as ISO text, or a note when it is not a usable number. */
export function isoOfSeconds(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return 'not a number';
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? 'out of range' : date.toISOString();
}

/** A signed duration in words: "in 5 min", "3 h ago". */
export function relative(deltaSeconds: number): string {
  const magnitude = Math.abs(deltaSeconds);
  const units: [number, string][] = [
    [31_536_000, 'y'],
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const [size, unit] = units.find(([size]) => magnitude >= size) ?? [1, 's'];
  const amount = Math.floor(magnitude / size);
  return deltaSeconds >= 0 ? `in ${amount} ${unit}` : `${amount} ${unit} ago`;
}
