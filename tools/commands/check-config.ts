/**
 * `check-config`: validates the configuration in `wrangler.toml` (`[vars]` and every
 * `[env.NAME.vars]`) and in `template.yaml` (each Lambda function's environment, with parameter
 * defaults) by running the core's `loadConfig` on it, so the messages are exactly the ones the
 * Worker or the Lambda would log at start-up.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseToml } from 'smol-toml';
import { readLambdaSettings } from '../../lambda/settings.ts';
import { loadConfig } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/errors.ts';
import { parseOriginUrl } from '../../workers/gate.ts';
import {
  type Conditions,
  NO_VALUE,
  nearestParameter,
  parameterValues,
  parseTemplate,
  resolveValue,
  templateFunctions,
  undeclaredParameters,
} from '../config/cloudformation.ts';
import { samParameters } from '../config/samconfig.ts';
import { type CommandResult, emit, UsageError } from '../lib/output.ts';
import { repoRoot } from '../lib/paths.ts';

/** The check of one configuration (one vars table, one function). */
export interface ConfigCheck {
  file: string;
  /** `vars`, `env.production.vars`, `function AuthorizerFunction`. */
  target: string;
  /** False for an error; true when valid or when it could not be checked (see `checked`). */
  ok: boolean;
  /** False when values are missing that only arrive at deploy time (a parameter without default). */
  checked: boolean;
  /** The start-up error: option, message (with the fix), fix. */
  error?: { option: string; message: string; fix: string };
  /** Issuers configured, when valid. */
  issuers?: string[];
  /** Values that could not be resolved (a parameter without a default); not an error. */
  notes: string[];
}

/** What `check-config` reports. */
export interface CheckConfigData {
  ok: boolean;
  checks: ConfigCheck[];
}

/**
 * Runs the platform's own start-up reading of `env`: the Lambda-only settings then `loadConfig`
 * (as `lambda/state.ts` does), or `loadConfig` then `ORIGIN_URL` (as `workers/gate.ts` does).
 */
function check(
  file: string,
  target: string,
  platform: 'worker' | 'lambda',
  env: Record<string, unknown>,
  notes: string[],
): ConfigCheck {
  try {
    if (platform === 'lambda') readLambdaSettings(env);
    const config = loadConfig(env);
    if (platform === 'worker') parseOriginUrl(env.ORIGIN_URL);
    const issuers = config.issuers.map((i) => i.issuer);
    return { file, target, ok: true, checked: true, issuers, notes };
  } catch (error) {
    if (error instanceof ConfigError) {
      return {
        file,
        target,
        ok: false,
        checked: true,
        error: { option: error.option, message: error.message, fix: error.fix },
        notes,
      };
    }
    throw error;
  }
}

/** The binding name the gate reads its KV tier from (`workers/index.ts`). */
const KV_BINDING = 'JWKS_CACHE';
/** The id `wrangler.toml` ships with, to be replaced by the user's namespace id. */
const PLACEHOLDER_KV_ID = /^0+$/;

/**
 * Notes on a `kv_namespaces` list. Running without KV is a valid choice (memory only), so these
 * are notes, not errors; but a binding under another name is silently ignored by the gate, and
 * the example id makes `wrangler deploy` fail far from the line to change.
 */
function kvNotes(namespaces: unknown, prefix: string): string[] {
  if (!Array.isArray(namespaces)) return [];
  const bindings = namespaces as { binding?: unknown; id?: unknown }[];
  const ours = bindings.find((entry) => entry?.binding === KV_BINDING);
  if (ours === undefined) {
    const names = bindings.map((entry) => String(entry?.binding)).join(', ');
    return [
      `[[${prefix}kv_namespaces]] binds ${names || 'nothing'}, but the gate reads only the binding ` +
        `${KV_BINDING}, so key sets are kept in memory only. Fix: binding = "${KV_BINDING}"`,
    ];
  }
  if (typeof ours.id === 'string' && PLACEHOLDER_KV_ID.test(ours.id)) {
    return [
      `[[${prefix}kv_namespaces]] ${KV_BINDING} still has the example id. Fix: put the id that ` +
        `\`npx wrangler kv namespace create ${KV_BINDING}\` prints, or remove the block`,
    ];
  }
  return [];
}

/** Checks every vars table of a wrangler.toml. */
export async function checkWrangler(file: string): Promise<ConfigCheck[]> {
  let document: Record<string, unknown>;
  try {
    document = parseToml(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(`${file} is not valid TOML: ${message}`);
  }
  const tables: [string, Record<string, unknown>, string[]][] = [
    ['vars', (document.vars ?? {}) as Record<string, unknown>, kvNotes(document.kv_namespaces, '')],
  ];
  const environments = (document.env ?? {}) as Record<
    string,
    { vars?: Record<string, unknown>; kv_namespaces?: unknown }
  >;
  for (const [name, environment] of Object.entries(environments)) {
    // wrangler does not inherit [vars] into an environment: an env without vars deploys with
    // none, so it is checked as empty rather than skipped (which would pass it unseen).
    const vars = environment?.vars;
    const notes = vars
      ? []
      : [`[env.${name}] has no vars table and wrangler does not inherit [vars] into it`];
    // Bindings are not inherited either; an environment without its own list has no KV at all.
    notes.push(...kvNotes(environment?.kv_namespaces, `env.${name}.`));
    tables.push([`env.${name}.vars`, vars ?? {}, notes]);
  }
  return tables.map(([target, vars, notes]) => check(file, target, 'worker', vars, notes));
}

/** Refuses a `--parameter` the template does not declare, naming the nearest or all declared. */
function refuseUndeclared(
  file: string,
  template: Record<string, unknown>,
  names: readonly string[],
): void {
  const [unknown] = undeclaredParameters(template, names);
  if (unknown === undefined) return;
  const nearest = nearestParameter(template, unknown);
  const declared = Object.keys((template.Parameters ?? {}) as Record<string, unknown>);
  const known = declared.length > 0 ? `it declares ${declared.join(', ')}` : 'it declares none';
  const hint = nearest !== undefined ? `did you mean ${nearest}? (${known})` : known;
  throw new UsageError(`--parameter ${unknown}: ${file} has no such parameter; ${hint}`);
}

/**
 * Checks each Lambda function's environment in a SAM/CloudFormation template. `commandLine`
 * names the overrides typed as `--parameter`, which must be declared parameters.
 */
export async function checkTemplate(
  file: string,
  overrides: Record<string, string> = {},
  commandLine: readonly string[] = [],
): Promise<ConfigCheck[]> {
  let template: Record<string, unknown>;
  try {
    template = parseTemplate(await readFile(file, 'utf8'));
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(`${file} is not a readable template: ${message}`);
  }
  refuseUndeclared(file, template, commandLine);
  const parameters = parameterValues(template, overrides);
  const functions = templateFunctions(template);
  const conditions = (template.Conditions ?? {}) as Conditions;
  return functions.map(({ name, variables }) => {
    const env: Record<string, unknown> = {};
    const notes: string[] = [];
    for (const [variable, value] of Object.entries(variables)) {
      const resolved = resolveValue(value, parameters, conditions);
      // `!If [..., !Ref AWS::NoValue]` leaves the variable unset, as the deployed function has it.
      if (resolved.ok && resolved.value !== NO_VALUE) env[variable] = resolved.value;
      else if (!resolved.ok) notes.push(`${variable}: ${resolved.reason}`);
    }
    const target = `function ${name}`;
    // A value that arrives only at deploy time cannot be judged now; checking without it would
    // report a missing option that the deploy will in fact supply.
    if (notes.length > 0) return { file, target, ok: true, checked: false, notes };
    return check(file, target, 'lambda', env, notes);
  });
}

function render(data: CheckConfigData): string {
  const lines: string[] = [];
  for (const item of data.checks) {
    const where = `${item.file} ${item.target}`;
    if (!item.checked) lines.push(`skip  ${where}: values arrive only at deploy time`);
    else if (item.ok) lines.push(`ok    ${where}: issuers ${item.issuers?.join(', ')}`);
    else lines.push(`error ${where}`, `      ${item.error?.message}`);
    for (const note of item.notes) lines.push(`      note: ${note}`);
  }
  if (data.checks.length === 0)
    lines.push('nothing to check: no vars and no Lambda environment found');
  const skipped = data.checks.filter((item) => !item.checked).length;
  const unchecked = skipped > 0 ? ` (${skipped} not checked: pass their --parameter values)` : '';
  lines.push(
    '',
    data.ok ? `Configuration is valid${unchecked}.` : 'Configuration has errors (see above).',
  );
  return lines.join('\n');
}

/** Options of `check-config`. */
export interface CheckConfigOptions {
  wrangler?: string;
  template?: string;
  /** `Name=Value` parameter overrides for the template. */
  parameter?: string[];
  /** A samconfig.toml whose `parameter_overrides` to use (default: the one beside the template). */
  samconfig?: string;
}

/** Runs `check-config`; with neither file named, checks the repository's two files. */
export async function runCheckConfig(
  options: CheckConfigOptions,
): Promise<CommandResult<CheckConfigData>> {
  const named = options.wrangler !== undefined || options.template !== undefined;
  const wrangler = options.wrangler ?? (named ? undefined : resolve(repoRoot, 'wrangler.toml'));
  const template = options.template ?? (named ? undefined : resolve(repoRoot, 'template.yaml'));
  // Like `sam deploy`: samconfig.toml values first, command-line overrides on top.
  const samconfig =
    options.samconfig ?? (template ? join(dirname(template), 'samconfig.toml') : undefined);
  const overrides: Record<string, string> =
    samconfig !== undefined && existsSync(samconfig) ? await samParameters(samconfig) : {};
  if (options.samconfig !== undefined && !existsSync(options.samconfig)) {
    throw new UsageError(`${options.samconfig} does not exist`);
  }
  const commandLine: string[] = [];
  for (const assignment of options.parameter ?? []) {
    const at = assignment.indexOf('=');
    if (at <= 0) throw new UsageError(`--parameter expects Name=Value, got "${assignment}"`);
    commandLine.push(assignment.slice(0, at));
    overrides[assignment.slice(0, at)] = assignment.slice(at + 1);
  }

  const checks: ConfigCheck[] = [];
  for (const [file, run] of [
    [wrangler, checkWrangler],
    [template, (path: string) => checkTemplate(path, overrides, commandLine)],
  ] as const) {
    if (file === undefined) continue;
    if (!existsSync(file)) throw new UsageError(`${file} does not exist`);
    checks.push(...(await run(file)));
  }
  const ok = checks.every((item) => item.ok);
  const data = { ok, checks };
  return { exitCode: ok ? 0 : 1, data, text: render(data) };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds `check-config` to the program. */
export function registerCheckConfig(program: Command): void {
  program
    .command('check-config')
    .description(
      'validate wrangler.toml vars and template.yaml Lambda environment with the start-up checks',
    )
    .option('--wrangler <file>', 'a wrangler.toml to check (default: the repository’s)')
    .option('--template <file>', 'a SAM template.yaml to check (default: the repository’s)')
    .option(
      '--parameter <Name=Value>',
      'template parameter value, as --parameter-overrides; repeatable',
      collect,
    )
    .option(
      '--samconfig <file>',
      'samconfig.toml with parameter_overrides (default: beside the template)',
    )
    .option('--json', 'print the checks as JSON')
    .action(async (options: CheckConfigOptions & { json?: boolean }) => {
      emit(await runCheckConfig(options), options.json === true);
    });
}
