/**
 * `create --bundle B [--pid-file F] ID`: check the bundle, start the
 * container's sandbox process (it creates the container and waits for
 * `start`), then write the pid file with its pid.
 */
import type { Command } from 'commander';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OciConfig } from '../../runtime/config.js';
import type { StoredImage } from '../../runtime/detached/image_root.js';
import type { SandboxArgs } from '../../runtime/detached/sandbox_process.js';
import { loadBundle } from '../../runtime/detached/bundle.js';
import { startHelper } from '../../runtime/detached/spawn.js';
import { DetachedError, checkId, containerDir, makeContainerDir, removeContainerDir } from '../../runtime/detached/state.js';
import type { LogTarget } from '../../runtime/detached/log.js';
import { rootOf, writePidFile, type GlobalFlags } from './context.js';

/** Options of `create`. */
export interface CreateFlags {
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
}

/**
 * A container that `wasmvisor run -d` makes without a bundle directory of
 * its own: the config is written into the container's state directory
 * (which is then its bundle), the module is a host file.
 */
export interface OwnBundle {
  config: OciConfig;
  /** The init module: a host path, or its bytes (written into the state directory as `module.wasm`). */
  module: string | Uint8Array;
  /** The image whose layers are the root (else an in-memory root, or the config's `root.path`). */
  image?: StoredImage;
  /** false: the container's stdin stays open and unread (`-i`); else it reads EOF. */
  stdin: boolean;
  /** File in the state directory that takes the container's stdout and stderr. */
  logFile: string;
  /** Bytes that file never exceeds: past it, it rotates once to FILE.1 (log_file.ts). */
  logMaxSize: number;
}

/**
 * Create container `id` from a bundle (or from `own`); resolves with its
 * sandbox process. `detached` false keeps it as this process's child (for
 * `run`). Nothing is left under `root` when it fails.
 */
export async function createContainer(root: string, id: string, f: CreateFlags, detached = true, log: LogTarget = {}, own?: OwnBundle): Promise<ChildProcess> {
  checkId(id);
  if (f.consoleSocket) {
    throw new DetachedError('UNSUPPORTED', '--console-socket (a terminal, as ctr run -t asks) is not supported yet: run the container without a tty');
  }
  const bundleDir = own ? containerDir(root, id) : loadBundle(f.bundle ?? '.').dir;
  const dir = makeContainerDir(root, id);
  let logFd: number | undefined;
  try {
    let module: string | undefined;
    if (own) {
      writeFileSync(join(dir, 'config.json'), JSON.stringify(own.config));
      module = typeof own.module === 'string' ? own.module : join(dir, 'module.wasm');
      if (typeof own.module !== 'string') writeFileSync(module, own.module);
      loadBundle(dir, module); // the same checks as a bundle's, before the sandbox process starts
      logFd = openSync(join(dir, own.logFile), 'a', 0o600);
    }
    const args: SandboxArgs = {
      root, id, bundle: bundleDir, log: { log: log.log && resolve(log.log), logFormat: log.logFormat }, module, stdin: own?.stdin, image: own?.image,
      logFile: own && { path: join(dir, own.logFile), maxSize: own.logMaxSize },
    };
    // the sandbox process's own fds 1 and 2 (Node's fatal messages, never the guest's output) are the log as first opened
    const child = await startHelper('./sandbox_main.js', args, detached, logFd === undefined ? undefined : ['ignore', logFd, logFd]);
    if (f.pidFile) writePidFile(f.pidFile, child.pid!);
    return child;
  } catch (err) {
    removeContainerDir(root, id);
    throw err;
  } finally {
    if (logFd !== undefined) closeSync(logFd);
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
