/** `create --bundle B [--pid-file F] ID`: create a container (the library's createContainer) whose process waits for `start`. */
import type { Command } from 'commander';
import { createContainer } from '../../runtime/lifecycle/create.js';
import { rootOf, type GlobalFlags } from './context.js';

/** Options of `create`. */
export interface CreateFlags {
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
}

/** The flags `create` and `run` share, as runc spells them. */
export function withCreateFlags(cmd: Command): Command {
  return cmd
    .argument('<container-id>')
    .option('-b, --bundle <dir>', 'bundle directory (config.json and the root filesystem)', '.')
    .option('--pid-file <file>', 'write the pid of the container\'s process here')
    .option('--console-socket <path>', 'unix socket to send the master of the container\'s terminal to (SCM_RIGHTS; needs python3)')
    .option('--no-pivot', 'accepted for compatibility (no effect)')
    .option('--no-new-keyring', 'accepted for compatibility (no effect)')
    .option('--preserve-fds <n>', 'accepted for compatibility (no effect)');
}

/** Register `create`. */
export function register(program: Command): void {
  withCreateFlags(program.command('create').description('create a container from an OCI bundle (its process waits for start)'))
    .action(async (id: string, f: CreateFlags, cmd: Command) => {
      const { log, logFormat } = cmd.optsWithGlobals<GlobalFlags>();
      await createContainer({ root: rootOf(cmd), id, bundle: f.bundle, pidFile: f.pidFile, consoleSocket: f.consoleSocket, log: { log, logFormat } });
    });
}
