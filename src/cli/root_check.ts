/**
 * The store root is checked before any command runs: a `--root` (or
 * `$WASMVISOR_ROOT`) that is a file, or lies under one, is one line and
 * exit 125, instead of an empty listing or a raw ENOTDIR from mkdir.
 */
import { statSync } from 'node:fs';
import { resolveStoreRoot } from '../image/content/store_path.js';
import { CliExit, ExitCode } from './exit.js';

/** Throw a CliExit if the store root `explicit` (else the default) exists and is not a directory. */
export function checkStoreRoot(explicit: string | undefined): void {
  const root = resolveStoreRoot(explicit);
  const flag = explicit !== undefined ? `--root ${explicit}` : process.env.WASMVISOR_ROOT ? `$WASMVISOR_ROOT ${root}` : `the store ${root}`;
  try {
    if (!statSync(root).isDirectory()) throw new CliExit(ExitCode.RUNTIME, `${flag} is not a directory: give a directory for the store (it is created if absent)`);
  } catch (err) {
    if (err instanceof CliExit) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new CliExit(ExitCode.RUNTIME, `${flag}: a part of the path is a file, not a directory`);
    if (code === 'EACCES') throw new CliExit(ExitCode.RUNTIME, `${flag}: permission denied`);
    // ENOENT: created on first use
  }
}
