/**
 * The start-up path of `wasmvisor-runc run` (bin/wasmvisor-runc.js takes
 * it when the command is `run`): main.ts's program with the `run` command
 * alone, bundled on its own (dist/bundle/wasmvisor_runc_run.cjs), so that
 * a run process loads neither the other commands nor the sandbox runtime
 * when it runs its container on its own thread (run.ts).
 */
import * as run from './run.js';
import { runWith } from './program.js';

/** Run a `run` command line; resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runWith(argv, [run]);
}
