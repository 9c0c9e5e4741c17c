/**
 * `exec [--process FILE] [--detach] [--pid-file F] ID [ARGS...]`: run
 * another process in a running container (the library's
 * execInContainer). `--process` is read before anything else
 * (containerd's shim deletes the file as soon as this command returns).
 * With --detach an exec relay process carries the process's stdio and
 * exit code and is what the pid file names; without it, this command
 * relays and exits with the process's code.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { OciProcess } from '../../runtime/config.js';
import { DetachedError } from '../../runtime/detached/state.js';
import { execInContainer } from '../../runtime/lifecycle/exec.js';
import { rootOf } from './context.js';
import { collect } from '../options.js';

/** Options of `exec`. */
export interface ExecFlags {
  process?: string;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  tty?: boolean;
  cwd?: string;
  env: string[];
}

/** The exec'd process: `--process FILE` (OCI process JSON), else the command line's args. */
export function execProcess(f: ExecFlags, args: string[]): OciProcess {
  if (f.process) {
    let p: OciProcess;
    try {
      p = JSON.parse(readFileSync(f.process, 'utf8')) as OciProcess;
    } catch (err) {
      throw new DetachedError('BAD_ARG', `--process ${f.process}: ${(err as Error).message.split('\n')[0]}`);
    }
    return p;
  }
  if (args.length === 0) throw new DetachedError('BAD_ARG', 'exec needs a command (the .wasm module inside the container) or --process FILE');
  return { args, cwd: f.cwd ?? '/', env: f.env.length > 0 ? f.env : undefined, terminal: f.tty === true };
}

/** Register `exec`. */
export function register(program: Command): void {
  program.command('exec')
    .description('run a process in a running container')
    .argument('<container-id>')
    .argument('[command...]', 'the module and its arguments (when no --process)')
    .option('-p, --process <file>', 'OCI process JSON (args, env, cwd, user)')
    .option('-d, --detach', 'return once the process runs')
    .option('--pid-file <file>', 'write the pid of the process (its relay) here')
    .option('--console-socket <path>', 'unix socket to send the master of the process\'s terminal to (with --detach; needs python3)')
    .option('-t, --tty', 'the process\'s stdio is a terminal (its isatty is true)')
    .option('--cwd <dir>', 'working directory in the container')
    .option('-e, --env <K=V>', 'environment variable (repeatable)', collect, [])
    .action(async (id: string, args: string[], f: ExecFlags, cmd: Command) => {
      const p = execProcess(f, args); // first: the shim deletes --process as soon as we return
      process.exitCode = await execInContainer(rootOf(cmd), id, p, { detach: f.detach, pidFile: f.pidFile, consoleSocket: f.consoleSocket });
    });
}
