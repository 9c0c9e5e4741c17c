/**
 * Create: check the bundle, start the container's sandbox process (it
 * creates the container through the library and waits for `start`), then
 * write the pid file with its pid. A container of a Kubernetes pod whose
 * sandbox process runs joins that process instead, held by a stand-in
 * (../detached/pod_standin.ts). Nothing is left under the state root
 * when it fails.
 */
import type { ChildProcess, IOType } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OciConfig } from '../config.js';
import type { StoredImage } from '../detached/image_root.js';
import type { LogTarget } from '../detached/log.js';
import type { SandboxArgs } from '../detached/sandbox_process.js';
import { loadBundle, type Bundle } from '../detached/bundle.js';
import { joinPod, podToJoin } from '../detached/pod_standin.js';
import { startHelper } from '../detached/spawn.js';
import { DetachedError, checkId, containerDir, makeContainerDir, removeContainerDir } from '../detached/state.js';
import { DetachedContainer, writePidFile } from './container.js';

/**
 * A container made without a bundle directory of its own (`wasmvisor run
 * -d`): the config is written into the container's state directory (which
 * is then its bundle), the module is a host file.
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
  /** Bytes that file never exceeds: past it, it rotates once to FILE.1 (../detached/log_file.ts). */
  logMaxSize: number;
  /** The container ran before and stopped (`wasmvisor start` of an exited one): its directory and log are kept and reused. */
  again?: boolean;
}

/** What createContainer takes. */
export interface CreateOptions {
  /** State root (`ROOT/ID/` is made). */
  root: string;
  /** Container id: letters, digits, and `_ + - .` (BAD_ID otherwise). */
  id: string;
  /** OCI bundle directory (config.json and the root it names); default `.`. Ignored with `own`. */
  bundle?: string;
  /** Write the sandbox process's pid here (atomically, as runc). */
  pidFile?: string;
  /** runc's `--console-socket`: the container's stdio is a terminal whose master is sent over this unix socket (../detached/console.ts). */
  consoleSocket?: string;
  /** true (default): the sandbox process outlives this one, in its own session; false: it stays this process's child (as `run` waits for it). */
  detached?: boolean;
  /** runc's `--log` and `--log-format`, for failures after create returned. */
  log?: LogTarget;
  /** A container without a bundle directory (`wasmvisor run -d`). */
  own?: OwnBundle;
  /** The sandbox process's fds 0–2, where the container's stdio goes (default: this process's own; with `own`, its log file). */
  stdio?: readonly [IOType | number, IOType | number, IOType | number];
}

/** A created container and its sandbox process. */
export interface CreatedContainer {
  container: DetachedContainer;
  /** The sandbox process: its exit status is the container's (128+n for a signal). */
  child: ChildProcess;
}

/** Create container `opts.id` under `opts.root`; resolves once it is `created` and waits for startContainer. */
export async function createContainer(opts: CreateOptions): Promise<CreatedContainer> {
  const { root, id, own, log = {} } = opts;
  checkId(id);
  const bundle: Bundle | null = own ? null : loadBundle(opts.bundle ?? '.');
  const bundleDir = bundle ? bundle.dir : containerDir(root, id);
  const dir = own?.again ? containerDir(root, id) : makeContainerDir(root, id);
  let logFd: number | undefined;
  try {
    const fds = opts.stdio ?? ['inherit', 'inherit', 'inherit'];
    // a terminal needs a process of its own to hold it (a pod member's stand-in is a shell): such a container does not join its pod
    const pod = bundle && bundle.modulePath !== null && !opts.consoleSocket ? podToJoin(root, bundle.config, fds) : null;
    if (bundle && pod) {
      const child = await joinPod(root, id, pod, bundle, fds, opts.detached !== false, { log: log.log && resolve(log.log), logFormat: log.logFormat });
      if (opts.pidFile) writePidFile(opts.pidFile, child.pid!);
      return { container: DetachedContainer.load(root, id), child };
    }
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
    const stdio = logFd === undefined ? opts.stdio : ['ignore', logFd, logFd] as const;
    // a pod's network namespace (by path): the sandbox process lives in it, so its listeners do
    const child = await startHelper('./sandbox_main.js', args, opts.detached !== false, stdio, bundle?.netns, opts.consoleSocket || undefined);
    if (opts.pidFile) writePidFile(opts.pidFile, child.pid!);
    return { container: DetachedContainer.load(root, id), child };
  } catch (err) {
    if (!own?.again) removeContainerDir(root, id);
    throw err;
  } finally {
    if (logFd !== undefined) closeSync(logFd);
  }
}
