import { describe, expect, it } from 'vitest';
import { UsageError } from '../../tools/lib/output.ts';
import { parseInstant } from '../../tools/lib/time.ts';

describe('parseInstant', () => {
  it('reads ISO 8601, epoch seconds and epoch milliseconds', () => {
    expect(parseInstant('2024-05-01T12:00:00Z')).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseInstant('1714564800')).toBe(1_714_564_800_000);
    expect(parseInstant('1714564800000')).toBe(1_714_564_800_000);
  });

  it('accepts the last instant a Date holds, either side of 1970', () => {
    expect(parseInstant('8640000000000000')).toBe(8.64e15);
    expect(parseInstant('-8640000000000000')).toBe(-8.64e15);
  });

  it.each(['8640000000000001', '99999999999999999', '-99999999999999999'])(
    'refuses %s, beyond the range of a Date, as a usage error',
    (value) => {
      expect(() => parseInstant(value)).toThrow(UsageError);
      expect(() => parseInstant(value)).toThrow(/is out of range as a time/);
    },
  );

  it('refuses a number too long to be finite as out of range', () => {
    expect(() => parseInstant('9'.repeat(400))).toThrow(/is out of range as a time/);
  });

  it('refuses text that is no time as a usage error', () => {
    expect(() => parseInstant('yesterday')).toThrow(/cannot read "yesterday" as a time/);
  });
});
