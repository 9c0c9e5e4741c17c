/**
 * The start-up path of `wasmvisor-runc run` (bin/wasmvisor-runc.js takes
 * it whenever the command is `run`): main.ts's program with the `run`
 * command alone, bundled on its own (dist/bundle/wasmvisor_runc_run.cjs),
 * with the foreground run (the inline platform's kernel) that main.ts's
 * bundle leaves out, so that the other commands (create above all) do not
 * load it.
 */
import type { Command } from 'commander';
import * as foreground from '../../runtime/lifecycle/run_foreground.js';
import { registerRun } from './run.js';
import { runWith } from './program.js';

/** Run a `run` command line; resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runWith(argv, [{ register: (p: Command) => registerRun(p, foreground) }]);
}
