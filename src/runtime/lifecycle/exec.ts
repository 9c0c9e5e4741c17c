/**
 * Exec: run another process in a running container. Detached, an exec
 * relay process (../detached/exec_relay.ts) carries the process's stdio
 * and exit code, and is what the pid file names (containerd's shim reaps
 * it as the exec's process); attached, this process relays its own fds
 * 0–2 and resolves with the exec's exit code.
 */
import type { OciProcess } from '../config.js';
import { relayExec } from '../detached/exec_relay.js';
import { startHelper } from '../detached/spawn.js';
import { DetachedError } from '../detached/state.js';
import { canExec } from '../status.js';
import { DetachedContainer, writePidFile } from './container.js';

/** Options of execInContainer. */
export interface ExecInOptions {
  /** Resolve with 0 once the process runs; an exec relay process carries it. */
  detach?: boolean;
  /** Write the pid of the exec's process (the relay; this process when attached) here. */
  pidFile?: string;
  /** runc's `--console-socket` (with `detach`): the relay's stdio is a terminal whose master is sent over this unix socket (../detached/console.ts). */
  consoleSocket?: string;
  /** Host path of the module to run instead of `process.args[0]` in the container's root. */
  module?: string;
  /** false: the process reads EOF at once instead of the relay's fd 0. */
  stdin?: boolean;
}

/**
 * Exec `p` in container `id` under `root`: WRONG_STATE unless it is
 * running. Resolves with the process's exit code (0 once started, with
 * `detach`).
 */
export async function execInContainer(root: string, id: string, p: OciProcess, opts: ExecInOptions = {}): Promise<number> {
  if (opts.consoleSocket && !opts.detach) throw new DetachedError('BAD_ARG', 'exec --console-socket needs --detach (the relay process holds the terminal; without --detach, exec -t uses this command\'s own stdio)');
  const c = DetachedContainer.load(root, id).guard(canExec, 'exec into', 'start it (or resume it) first');
  const relay = { socket: c.socket, container: c.pod === undefined ? undefined : id, process: p, module: opts.module, stdin: opts.stdin };
  if (opts.detach) {
    const helper = await startHelper('./exec_main.js', relay, true, undefined, undefined, opts.consoleSocket || undefined);
    if (opts.pidFile) writePidFile(opts.pidFile, helper.pid!);
    return 0;
  }
  return relayExec(relay, () => { if (opts.pidFile) writePidFile(opts.pidFile, process.pid); });
}
