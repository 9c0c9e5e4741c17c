/**
 * A container of a Kubernetes pod joins the pod's sandbox process instead
 * of starting a Node process of its own (one Node process, one Sentry per
 * pod, as runsc puts a pod in one sandbox). containerd's shim still needs
 * a process per container: it watches the `--pid-file` pid, reaps its exit
 * status as the container's, and gave `create` the container's stdio as
 * fds 0–2. That process is a stand-in: Debian's dash waiting on a fifo in
 * the container's state directory (about 1.7 MB RSS, 0.2 MB PSS, against
 * about 40 MB for a Node process). The pod's sandbox process opens the
 * stand-in's fds 0–2 through /proc for the container's stdio, and the
 * fifo's writer end: when the container ends it writes the exit code there
 * and the stand-in exits with it. If the sandbox process dies, the writer
 * end closes and the stand-in exits 137, as a container killed with the
 * sandbox does; containerd sees each container's exit either way.
 *
 * Invariants: the pod's sandbox owns the member's `state.json` (`pid` is
 * the stand-in, `pod` the pod sandbox's id); every lifecycle operation on
 * a member goes to the pod's control socket with `container: ID`.
 */
import { execFileSync, spawn, type ChildProcess, type IOType } from 'node:child_process';
import { existsSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import type { OciConfig } from '../config.js';
import type { Bundle } from './bundle.js';
import { call } from './control.js';
import type { LogTarget } from './log.js';
import { DetachedError, containerDir, loadState, socketPath } from './state.js';

/** The stand-in's shell program: wait for the exit code on the fifo `$1`; 137 when the writer goes away without one. */
const STANDIN_SH = 'read s < "$1"; exit "${s:-137}"';

/** The stand-in's shell (Debian's /bin/sh is dash). */
export const STANDIN_SHELL = process.env.WASMVISOR_STANDIN_SHELL ?? '/bin/sh';

/** Annotations by which containerd's CRI plugin names a container's pod. */
const CONTAINER_TYPE = 'io.kubernetes.cri.container-type';
const SANDBOX_ID = 'io.kubernetes.cri.sandbox-id';

/** Name of the exit-code fifo in a member's state directory. */
export const EXIT_FIFO = 'exit.fifo';

/** True if any of `stdio` (fds given, or this process's 0–2 for 'inherit') is a socket, which /proc cannot reopen. */
function socketStdio(stdio: ReadonlyArray<IOType | number>): boolean {
  return stdio.some((s, i) => {
    const fd = typeof s === 'number' ? s : s === 'inherit' ? i : -1;
    try {
      return fd >= 0 && fstatSync(fd).isSocket();
    } catch {
      return false;
    }
  });
}

/**
 * The pod sandbox that container `config` belongs to, when it is a CRI
 * pod's (non-sandbox) container, that pod's sandbox process is live under
 * `root` with a control socket, and the container's `stdio` can be
 * reopened by it (pipes, fifos, files: not sockets); else null (the
 * container gets a sandbox process of its own, as without a pod).
 */
export function podToJoin(root: string, config: OciConfig, stdio: ReadonlyArray<IOType | number>): string | null {
  const a = config.annotations ?? {};
  const pod = a[SANDBOX_ID];
  if (a[CONTAINER_TYPE] !== 'container' || !pod || socketStdio(stdio)) return null;
  try {
    const st = loadState(root, pod);
    return st.status !== 'stopped' && st.pod === undefined && existsSync(socketPath(containerDir(root, pod))) ? pod : null;
  } catch {
    return null;
  }
}

/**
 * Create member `id` (its state directory made) in pod `pod`'s sandbox
 * process: make the fifo, start the stand-in with fds 0–2 `stdio` (in its
 * own session when `detached`), and ask the pod's sandbox to create the
 * container. Resolves to the stand-in once the container is `created`;
 * the stand-in is killed if the pod's sandbox refused.
 */
export async function joinPod(
  root: string, id: string, pod: string, bundle: Bundle, stdio: ReadonlyArray<IOType | number>, detached: boolean, log: LogTarget,
): Promise<ChildProcess> {
  const fifo = join(containerDir(root, id), EXIT_FIFO);
  try {
    execFileSync('mkfifo', ['-m', '600', fifo], { stdio: 'ignore' });
  } catch (err) {
    throw new DetachedError('CONTROL', `cannot make the fifo ${fifo} for container ${id}'s stand-in: ${(err as Error).message.split('\n')[0]}`);
  }
  const child = spawn(STANDIN_SHELL, ['-c', STANDIN_SH, `wasmvisor-sandbox ${id}`, fifo], { stdio: [...stdio], detached });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new DetachedError('CONTROL', `cannot start container ${id}'s stand-in (${STANDIN_SHELL}): ${err.message}`)));
  });
  try {
    await call(socketPath(containerDir(root, pod)), { op: 'join', id, bundle: bundle.dir, standIn: child.pid!, fifo, log });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  if (detached) child.unref();
  return child;
}
