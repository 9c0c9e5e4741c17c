/**
 * `exec [--process FILE] [--detach] [--pid-file F] ID [ARGS...]`: run
 * another process in a running container. `--process` is read before
 * anything else (containerd's shim deletes the file as soon as this
 * command returns). With --detach an exec relay process (see
 * exec_relay.ts) carries the process's stdio and exit code and is what
 * the pid file names; without it, this command relays and exits with the
 * process's code.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { OciProcess } from '../../runtime/config.js';
import { relayExec, type ExecArgs } from '../../runtime/detached/exec_relay.js';
import { startHelper } from '../../runtime/detached/spawn.js';
import { DetachedError, containerDir, loadState, socketPath } from '../../runtime/detached/state.js';
import { canExec } from '../../runtime/status.js';
import { guard, rootOf, writePidFile } from './context.js';
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

/** Exec in container `id`; resolves with the exit code (0 once started, with --detach). `relay`: a host module, and whether stdin is read. */
export async function execContainer(root: string, id: string, p: OciProcess, f: ExecFlags, relay: Pick<ExecArgs, 'module' | 'stdin'> = {}): Promise<number> {
  if (f.consoleSocket || p.terminal) throw new DetachedError('UNSUPPORTED', 'exec with a terminal (-t, --console-socket) is not supported yet: exec without a tty');
  guard(canExec, loadState(root, id), 'exec into', 'start it (or resume it) first');
  const socket = socketPath(containerDir(root, id));
  if (f.detach) {
    const helper = await startHelper('./exec_main.js', { socket, process: p, ...relay }, true);
    if (f.pidFile) writePidFile(f.pidFile, helper.pid!);
    return 0;
  }
  return relayExec({ socket, process: p, ...relay }, () => { if (f.pidFile) writePidFile(f.pidFile, process.pid); });
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
    .option('--console-socket <path>', 'terminal socket (not supported)')
    .option('-t, --tty', 'allocate a terminal (not supported)')
    .option('--cwd <dir>', 'working directory in the container')
    .option('-e, --env <K=V>', 'environment variable (repeatable)', collect, [])
    .action(async (id: string, args: string[], f: ExecFlags, cmd: Command) => {
      const p = execProcess(f, args); // first: the shim deletes --process as soon as we return
      process.exitCode = await execContainer(rootOf(cmd), id, p, f);
    });
}
