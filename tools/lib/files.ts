/**
 * Reading a file the user named on the command line. Node's own errors (`ENOENT`, `EISDIR`,
 * `EACCES`) say what the system call met, not what to pass instead; these say both, as a
 * usage mistake.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from './output.ts';

/** How to name the file in messages and what to suggest for a directory. */
export interface UserFileOptions {
  /** The option the path came from (`--config`), put before the path in messages. */
  option?: string;
  /** What to pass instead of a directory, e.g. "one key-set file in it". */
  insteadOfDirectory?: string;
  /** What else the option accepts, added when the file does not exist. */
  orElse?: string;
}

/** The path resolved against the current directory, or a usage error saying why it is no file. */
export function userFile(path: string, options: UserFileOptions = {}): string {
  const absolute = resolve(process.cwd(), path);
  const lead = options.option !== undefined ? `${options.option} ${path}` : path;
  let isDirectory: boolean;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const orElse =
        options.orElse !== undefined ? `; pass an existing file or ${options.orElse}` : '';
      throw new UsageError(`${lead} does not exist${orElse}`);
    }
    throw new UsageError(`${lead}: cannot be read (${describeCode(code)})`);
  }
  if (isDirectory) {
    const instead = options.insteadOfDirectory ?? 'a file in it';
    throw new UsageError(`${lead} is a directory: pass ${instead}`);
  }
  return absolute;
}

/** Reads the text of a file the user named; see {@link userFile} for the errors. */
export async function readUserFile(path: string, options: UserFileOptions = {}): Promise<string> {
  const absolute = userFile(path, options);
  try {
    return await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const lead = options.option !== undefined ? `${options.option} ${path}` : path;
    throw new UsageError(`${lead}: cannot be read (${describeCode(code)})`);
  }
}

function describeCode(code: string | undefined): string {
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ELOOP') return 'too many symbolic links';
  if (code === 'ENAMETOOLONG') return 'the name is too long';
  return code ?? 'unknown error';
}
