/**
 * The start-up path of `wasmvisor run` (bin/wasmvisor.js takes it when the
 * command line is `[--root DIR] run …`): the same program as the full CLI
 * (`program.ts`) with the `run` command alone registered, bundled on its
 * own (dist/bundle/wasmvisor_run.cjs), so that a `run` process neither
 * loads nor initialises the other commands. Output and exit codes are the
 * full CLI's (test/cli/run_startup.test.ts compares them).
 */
import { register as registerRun } from './commands/run.js';
import { baseProgram, runCommandLine } from './program.js';

/** True when `argv` (without node and script) is a `run` command line: `run …` after `--root DIR` at most. */
export function isRunCommandLine(argv: readonly string[]): boolean {
  let i = 0;
  if (argv[0] === '--root') i = 2;
  else if (argv[0]?.startsWith('--root=')) i = 1;
  return argv[i] === 'run';
}

/** Run a `run` command line (as `wasmvisor.ts`'s `main` would); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = baseProgram();
  registerRun(program);
  program.commands.forEach((c) => c.exitOverride());
  return runCommandLine(program, argv);
}
