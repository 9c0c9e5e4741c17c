/**
 * `wasmvisor-runc`: a runc-compatible front end, so that containerd's
 * `io.containerd.runc.v2` shim can drive wasmvisor (`--runc-binary`,
 * `BinaryName`). Each container runs in one detached sandbox process with
 * its state under `--root` (src/runtime/detached/). Thin: each command
 * lives in its own file, parses its flags and calls the operation.
 * Errors are one line on stderr (and a record in `--log`), exit code 1,
 * as runc (program.ts). run_main.ts is the same program with `run`
 * alone, bundled apart for start-up.
 */
import type { Command } from 'commander';
import * as create from './create.js';
import * as del from './delete.js';
import * as events from './events.js';
import * as exec from './exec.js';
import * as features from './features.js';
import * as kill from './kill.js';
import * as list from './list.js';
import * as pause from './pause.js';
import * as ps from './ps.js';
import * as resume from './resume.js';
import * as run from './run.js';
import * as spec from './spec.js';
import * as start from './start.js';
import * as state from './state.js';
import { runcProgram, runWith, VERSION } from './program.js';

export { VERSION };

/** Every command, in the order `--help` lists them. */
const ALL = [create, start, state, kill, del, list, ps, pause, resume, exec, events, spec, run, features];

/** Build the command tree (exported for tests and `--help` checks). */
export function buildProgram(onError: (msg: string) => void): Command {
  return runcProgram(onError, ALL);
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runWith(argv, ALL);
}
