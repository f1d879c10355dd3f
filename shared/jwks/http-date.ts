/**
 * HTTP-date parsing (RFC 9110 §5.6.7) for `Expires`, `Date` and `Retry-After`. `Date.parse`
 * is not used: it reads "3600", "-1" or "1.5" as calendar dates, which would turn a provider's
 * malformed `Expires: 3600` into a set pinned for the whole upper bound instead of "expired".
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '([a-z]{3})';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

/** `Sun, 06 Nov 1994 08:49:37 GMT`, the form senders must use: day, month, year, time. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
/** `Sunday, 06-Nov-94 08:49:37 GMT`, obsolete but to be accepted: day, month, year, time. */
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
/** `Sun Nov  6 08:49:37 1994` (C's asctime), obsolete: month, day, time, year. */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`, 'i');

/**
 * Epoch milliseconds of an HTTP-date, or `undefined` when `value` is not in one of the three
 * forms of RFC 9110 §5.6.7 or names a day or time that does not exist. `now` places the
 * two-digit years of the obsolete RFC 850 form.
 */
export function parseHttpDate(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();

  let match = IMF_FIXDATE.exec(text);
  if (match) {
    const [, day, month, year, hour, minute, second] = match as unknown as string[];
    return build(year, month, day, hour, minute, second);
  }

  match = ASCTIME_DATE.exec(text);
  if (match) {
    const [, month, day, hour, minute, second, year] = match as unknown as string[];
    return build(year, month, day, hour, minute, second);
  }

  match = RFC850_DATE.exec(text);
  if (match) {
    const [, day, month, shortYear, hour, minute, second] = match as unknown as string[];
    // §5.6.7: a two-digit year more than 50 years ahead is the most recent past year with
    // the same last two digits.
    const currentYear = new Date(now).getUTCFullYear();
    let year = Math.floor(currentYear / 100) * 100 + Number(shortYear);
    if (year > currentYear + 50) year -= 100;
    return build(String(year), month, day, hour, minute, second);
  }
  return undefined;
}

/** Epoch milliseconds of a calendar date and time, or `undefined` when it does not exist. */
function build(...parts: (string | undefined)[]): number | undefined {
  const [yearText, monthName, ...rest] = parts;
  const month = MONTHS.indexOf((monthName ?? '').toLowerCase());
  const [year, day, hour, minute, second] = [yearText, ...rest].map((part) => Number(part));
  if (
    month < 0 ||
    year === undefined ||
    day === undefined ||
    hour === undefined ||
    minute === undefined ||
    second === undefined
  ) {
    return undefined;
  }
  // 60 is a leap second (RFC 9110 §5.6.7 allows it); Date.UTC reads it as the next minute.
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  // Date.UTC rolls 31 Feb over into March; such a day does not exist.
  const midnight = new Date(Date.UTC(year, month, day));
  if (midnight.getUTCMonth() !== month || midnight.getUTCDate() !== day) return undefined;
  return Date.UTC(year, month, day, hour, minute, second);
}
