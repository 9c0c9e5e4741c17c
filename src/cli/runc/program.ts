/**
 * The program every wasmvisor-runc entry shares (main.ts, with every
 * command; run_main.ts, with `run` alone, for start-up): the global flags,
 * runc's error handling (one line on stderr, a record in `--log`, exit 1)
 * and the parse.
 */
import { Command, CommanderError } from 'commander';
import { logRecord } from '../../runtime/detached/log.js';
import { DEFAULT_ROOT, type GlobalFlags } from './context.js';

/** The version line of `--version`. */
export const VERSION = 'wasmvisor-runc version 0.1.0\nspec: 1.2.0';

/** A command module: registers its command on the program. */
export interface CommandModule {
  register(program: Command): void;
}

/** The program with the global flags and the commands of `modules`. */
export function runcProgram(onError: (msg: string) => void, modules: readonly CommandModule[]): Command {
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
  for (const m of modules) m.register(program);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Run `argv` (without node and script) with the commands of `modules`; resolves to the exit code. */
export async function runWith(argv: string[], modules: readonly CommandModule[]): Promise<number> {
  let flags: GlobalFlags = {};
  const fail = (msg: string) => {
    process.stderr.write(`wasmvisor-runc: ${msg}\n`);
    // a usage error comes before any action: the global flags parsed so far still name the log
    logRecord({ ...program.opts<GlobalFlags>(), ...flags }, 'error', msg);
  };
  const program = runcProgram(fail, modules);
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

/**
 * The command of a wasmvisor-runc command line: the first word after the
 * global flags (those taking a value skip it), or undefined. bin/wasmvisor-runc.js
 * keeps a copy of this to pick a command's bundle before loading any.
 */
export function commandOf(argv: readonly string[]): string | undefined {
  const valued = new Set(['--root', '--log', '--log-format', '--rootless', '--criu']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) return a;
    if (valued.has(a)) i++;
  }
  return undefined;
}
