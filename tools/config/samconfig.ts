/**
 * Parameter values from a SAM `samconfig.toml` (`sam deploy --guided` writes one), so
 * `check-config` can check the template with the values the next deploy will use.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'smol-toml';

/**
 * Splits SAM's `parameter_overrides` string (`A=1 B="two words"`, shell-style quotes) into
 * `Name=Value` assignments.
 */
export function splitOverrides(text: string): string[] {
  const assignments: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = undefined;
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (/\s/.test(char)) {
      if (current !== '') assignments.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current !== '') assignments.push(current);
  return assignments;
}

/** Name to value from `[<environment>.deploy.parameters].parameter_overrides`. */
export async function samParameters(
  file: string,
  environment = 'default',
): Promise<Record<string, string>> {
  const document = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  const section = document[environment] as
    | { deploy?: { parameters?: { parameter_overrides?: unknown } } }
    | undefined;
  const overrides = section?.deploy?.parameters?.parameter_overrides;
  const assignments =
    typeof overrides === 'string'
      ? splitOverrides(overrides)
      : Array.isArray(overrides)
        ? overrides.map(String)
        : [];
  const values: Record<string, string> = {};
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    if (at > 0) values[assignment.slice(0, at)] = assignment.slice(at + 1);
  }
  return values;
}
