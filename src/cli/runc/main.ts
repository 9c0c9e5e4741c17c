/**
 * `wasmvisor-runc`: a runc-compatible front end, so that containerd's
 * `io.containerd.runc.v2` shim can drive wasmvisor (`--runc-binary`,
 * `BinaryName`). Each container runs in one detached sandbox process with
 * its state under `--root` (src/runtime/detached/). Thin: each command
 * lives in its own file, parses its flags and calls the operation.
 * Errors are one line on stderr (and a record in `--log`), exit code 1,
 * as runc.
 */
import { Command, CommanderError } from 'commander';
import { logRecord } from '../../runtime/detached/log.js';
import { DEFAULT_ROOT, type GlobalFlags } from './context.js';
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

/** The version line of `--version`. */
export const VERSION = 'wasmvisor-runc version 0.1.0\nspec: 1.2.0';

/** Build the command tree (exported for tests and `--help` checks). */
export function buildProgram(onError: (msg: string) => void): Command {
  const program = new Command('wasmvisor-runc')
    .description('run WebAssembly containers from OCI bundles, with runc\'s command line (for containerd)')
    .version(VERSION, '-v, --version')
    .option('--root <dir>', 'state directory', DEFAULT_ROOT)
    .option('--log <file>', 'append error records to this file')
    .option('--log-format <format>', 'text or json', 'text')
    .option('--debug', 'log debug records too')
    .option('--systemd-cgroup', 'accepted for compatibility (no effect)')
    .option('--rootless <value>', 'accepted for compatibility (no effect)')
    .option('--criu <path>', 'accepted for compatibility (no effect)')
    .enablePositionalOptions()
    .exitOverride();
  program.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: (s) => onError(`${s.trim().replace(/^error: /, '')} (see --help)`),
  });
  for (const m of [create, start, state, kill, del, list, ps, pause, resume, exec, events, spec, run, features]) m.register(program);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let flags: GlobalFlags = {};
  const fail = (msg: string) => {
    process.stderr.write(`wasmvisor-runc: ${msg}\n`);
    // a usage error comes before any action: the global flags parsed so far still name the log
    logRecord({ ...program.opts<GlobalFlags>(), ...flags }, 'error', msg);
  };
  const program = buildProgram(fail);
  program.hook('preAction', (_p, cmd) => {
    flags = cmd.optsWithGlobals<GlobalFlags>();
    if (flags.logFormat !== 'text' && flags.logFormat !== 'json') throw new CommanderError(1, 'runc.logFormat', `invalid --log-format ${flags.logFormat}: use text or json`);
    if (flags.debug) logRecord(flags, 'debug', `${cmd.name()} ${argv.join(' ')}`);
  });
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0;
      if (err.code === 'runc.logFormat') fail(err.message);
      return 1;
    }
    fail((err instanceof Error ? err.message : String(err)).split('\n')[0]!);
    return 1;
  }
}
