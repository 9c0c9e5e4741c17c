/**
 * `wasmvisor`: the podman-like front end. Thin: each command lives in
 * `commands/<name>.ts`, parses its flags and calls the library.
 * Exit codes follow podman: the workload's own, 125 runtime error,
 * 126 cannot run, 127 not found. (A `run` command line starts through
 * `run_main.ts` instead, the same program with `run` alone.)
 */
import type { Command } from 'commander';
import { COMMANDS, IMAGE_COMMANDS } from './commands/index.js';
import { registerGroups, rewriteGroupArgv } from './commands/groups.js';
import { baseProgram, runCommandLine } from './program.js';

/** Build the command tree (exported for tests and `--help` checks). */
export function buildProgram(): Command {
  const program = baseProgram();
  for (const register of COMMANDS) register(program);
  for (const register of IMAGE_COMMANDS) register(program);
  registerGroups(program); // last: every registered command appears in its podman group
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  return runCommandLine(program, rewriteGroupArgv(argv, program));
}
