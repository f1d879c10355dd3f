/**
 * How every command reports: a result object that is both printed for a terminal and available
 * as JSON (`--json`), with the exit code beside it. Commands return results; only the CLI
 * prints, so tests call commands directly and read the same data a user sees.
 */

/** What a command produces. */
export interface CommandResult<T = unknown> {
  /** 0 on success; 1 when the thing examined failed (token refused, config invalid). */
  exitCode: number;
  /** The JSON form (`--json`). */
  data: T;
  /** The terminal form. */
  text: string;
}

/** Thrown for a usage mistake the user can fix (bad file, bad time); printed without a stack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Prints a result in the chosen form and sets the process exit code. */
export function emit(result: CommandResult, json: boolean): void {
  const out = json ? JSON.stringify(result.data, null, 2) : result.text;
  process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
  process.exitCode = result.exitCode;
}

/** Left-aligned columns for a small table; every cell is a string. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Indents every line of `text` by `spaces`. */
export function indent(text: string, spaces = 2): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

/**
 * A compact JWS or JWE: its first part is base64url JSON, which starts `eyJ` (`{"`). Only the
 * first part is anchored, so a URL with dots (`clerk.example.dev`) never looks like one.
 */
const COMPACT_TOKEN = /eyJ[\w-]*(?:\.[\w-]*){2,4}/g;

/**
 * `text` with every token in it replaced by its fingerprint. Messages quote what the user typed
 * ("cannot read X as a time"), and a token typed in the wrong place must not come back whole.
 */
export function redactTokens(text: string): string {
  return text.replace(COMPACT_TOKEN, (token) => `<token ${tokenFingerprint(token)}>`);
}

/**
 * A token shortened for display: enough to recognise it, never enough to use it. The signature
 * is the part that makes a token usable, so it is never shown.
 */
export function tokenFingerprint(token: string): string {
  const [header = '', payload = ''] = token.split('.');
  return `${header.slice(0, 8)}…${payload.slice(-6)} (${token.length} characters)`;
}
