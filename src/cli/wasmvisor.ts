/**
 * `wasmvisor`: the podman-like front end. Thin: each command lives in
 * `commands/<name>.ts`, parses its flags and calls the library.
 * Exit codes follow podman: the workload's own, 125 runtime error,
 * 126 cannot run, 127 not found.
 */
import { Command, CommanderError } from 'commander';
import { COMMANDS, IMAGE_COMMANDS } from './commands/index.js';
import { registerGroups, rewriteGroupArgv } from './commands/groups.js';
import { packageVersion } from './package_info.js';
import { checkStoreRoot } from './root_check.js';
import { DetachedError } from '../runtime/detached/state.js';
import { CliExit, ExitCode } from './exit.js';

/** Build the command tree (exported for tests and `--help` checks). */
export function buildProgram(): Command {
  const program = new Command('wasmvisor')
    .description('A rootless container runtime for WebAssembly with a userspace WASI kernel')
    .version(packageVersion())
    .option('--root <dir>', 'store directory (default: $WASMVISOR_ROOT or $XDG_DATA_HOME/wasmvisor)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.hook('preAction', (_p, action) => checkStoreRoot((action.optsWithGlobals() as { root?: string }).root));
  for (const register of COMMANDS) register(program);
  for (const register of IMAGE_COMMANDS) register(program);
  registerGroups(program); // last: every registered command appears in its podman group
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(rewriteGroupArgv(argv, program), { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CliExit) {
      if (err.message) process.stderr.write(`wasmvisor: ${err.message}\n`);
      return err.code;
    }
    if (err instanceof DetachedError) {
      // a lifecycle operation of a detached container refused or failed (any code): podman's runtime error
      process.stderr.write(`wasmvisor: ${err.message}\n`);
      return ExitCode.RUNTIME;
    }
    if (err instanceof CommanderError) {
      // help and version exit 0; usage errors exit 125 as podman does
      return err.exitCode === 0 ? 0 : 125;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`wasmvisor: ${msg}\n`);
    return 125;
  }
}
