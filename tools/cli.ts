/**
 * The `edge-jwt` command line: development tools for the authorizer (local identity provider,
 * token minting, token and key-set inspection, Lambda invocation, configuration checks). Each
 * command lives in `tools/commands/` and returns a result this file prints.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerCheckConfig } from './commands/check-config.ts';
import { registerInspect } from './commands/inspect.ts';
import { registerInvoke } from './commands/invoke.ts';
import { registerJwks } from './commands/jwks.ts';
import { registerMint } from './commands/mint.ts';
import { registerStart } from './commands/start.ts';
import { redactTokens, UsageError } from './lib/output.ts';

/** Builds the program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('edge-jwt')
    .description('Development tools for edge-jwt-authorizer')
    .showHelpAfterError()
    // Commander quotes what it could not place ("unknown command '...'"): redact it like ours.
    .configureOutput({ writeErr: (text) => process.stderr.write(redactTokens(text)) })
    .enablePositionalOptions()
    // Throw instead of exiting, so `main` gives a commander usage mistake (unknown option,
    // missing argument) the same exit code as ours. Set before the commands are added: each
    // command copies it when created.
    .exitOverride();
  registerStart(program);
  registerMint(program);
  registerInspect(program);
  registerJwks(program);
  registerInvoke(program);
  registerCheckConfig(program);
  return program;
}

/**
 * Runs the CLI on `argv` (as `process.argv`): exit 0 on success (and for `--help`), 1 when the
 * thing examined fails (a refused token, an invalid configuration), 2 for a usage mistake.
 */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (and the help); only the code is left to set.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    const usage = error instanceof UsageError;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`edge-jwt: ${redactTokens(message)}\n`);
    if (!usage && process.env.EDGE_JWT_DEBUG && error instanceof Error) {
      process.stderr.write(`${redactTokens(error.stack ?? '')}\n`);
    }
    process.exitCode = usage ? 2 : 1;
  }
}

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) await main(process.argv);
