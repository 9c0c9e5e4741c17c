/**
 * `create --bundle B [--pid-file F] ID`: check the bundle, start the
 * container's sandbox process (it creates the container and waits for
 * `start`), then write the pid file with its pid.
 */
import type { Command } from 'commander';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { loadBundle } from '../../runtime/detached/bundle.js';
import { startHelper } from '../../runtime/detached/spawn.js';
import { DetachedError, checkId, makeContainerDir, removeContainerDir } from '../../runtime/detached/state.js';
import type { LogTarget } from '../../runtime/detached/log.js';
import { rootOf, writePidFile, type GlobalFlags } from './context.js';

/** Options of `create`. */
export interface CreateFlags {
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
}

/**
 * Create container `id` from a bundle; resolves with its sandbox process.
 * `detached` false keeps it as this process's child (for `run`).
 * Nothing is left under `root` when it fails.
 */
export async function createContainer(root: string, id: string, f: CreateFlags, detached = true, log: LogTarget = {}): Promise<ChildProcess> {
  checkId(id);
  if (f.consoleSocket) {
    throw new DetachedError('UNSUPPORTED', '--console-socket (a terminal, as ctr run -t asks) is not supported yet: run the container without a tty');
  }
  const bundle = loadBundle(f.bundle ?? '.');
  makeContainerDir(root, id);
  try {
    const child = await startHelper('./sandbox_main.js', { root, id, bundle: bundle.dir, log: { log: log.log && resolve(log.log), logFormat: log.logFormat } }, detached);
    if (f.pidFile) writePidFile(f.pidFile, child.pid!);
    return child;
  } catch (err) {
    removeContainerDir(root, id);
    throw err;
  }
}

/** The flags `create` and `run` share, as runc spells them. */
export function withCreateFlags(cmd: Command): Command {
  return cmd
    .argument('<container-id>')
    .option('-b, --bundle <dir>', 'bundle directory (config.json and the root filesystem)', '.')
    .option('--pid-file <file>', 'write the pid of the container\'s process here')
    .option('--console-socket <path>', 'unix socket to send a terminal\'s fd to (not supported)')
    .option('--no-pivot', 'accepted for compatibility (no effect)')
    .option('--no-new-keyring', 'accepted for compatibility (no effect)')
    .option('--preserve-fds <n>', 'accepted for compatibility (no effect)');
}

/** Register `create`. */
export function register(program: Command): void {
  withCreateFlags(program.command('create').description('create a container from an OCI bundle (its process waits for start)'))
    .action(async (id: string, f: CreateFlags, cmd: Command) => {
      await createContainer(rootOf(cmd), id, f, true, cmd.optsWithGlobals<GlobalFlags>());
    });
}
