/**
 * The `wasmvisor` program without its commands, and the run of a command
 * line through it, shared by the full CLI (`wasmvisor.ts`, every command)
 * and the start-up path of `run` (`run_main.ts`, which registers `run`
 * alone so that a `wasmvisor run` process loads and initialises only what
 * `run` needs). Both give the same output and exit codes for a `run`
 * command line.
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from './package_info.js';
import { checkStoreRoot } from './root_check.js';
import { DetachedError } from '../runtime/detached/state.js';
import { CliExit, ExitCode } from './exit.js';

/** The program with its name, version, global options and hooks, and no command yet. */
export function baseProgram(): Command {
  const program = new Command('wasmvisor')
    .description('A rootless container runtime for WebAssembly with a userspace WASI kernel')
    .version(packageVersion())
    .option('--root <dir>', 'store directory (default: $WASMVISOR_ROOT or $XDG_DATA_HOME/wasmvisor)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.hook('preAction', (_p, action) => checkStoreRoot((action.optsWithGlobals() as { root?: string }).root));
  return program;
}

/** Parse and run `argv` (without node and script) through `program`; resolves to the exit code (podman's). */
export async function runCommandLine(program: Command, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
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
