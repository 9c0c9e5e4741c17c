/**
 * Kill: send a signal to a container. SIGKILL kills its sandbox process
 * itself (so that containerd's shim reaps a real signal death), except for
 * a pod member, whose sandbox is the pod's: there the container is killed
 * inside it and its stand-in exits 137. Any other signal goes to the
 * container through the sandbox (TERM/INT/HUP/QUIT end it with 128+n,
 * STOP/CONT pause and resume it).
 */
import { parseSignal } from '../detached/signals.js';
import { DetachedError } from '../detached/state.js';
import { DetachedContainer } from './container.js';

/** Options of killContainer. */
export interface KillOptions {
  /** runc's `--all`: signal every process of the container. Its init ends them all, so this is the same as without. */
  all?: boolean;
}

/**
 * Send `signal` (a Linux number such as `15`, or a name: `TERM`,
 * `SIGTERM`) to container `id`. BAD_ARG for an unknown signal;
 * WRONG_STATE "container not running" (the words containerd's shim
 * matches for "already finished") once it has stopped.
 */
export async function killContainer(root: string, id: string, signal: string, _opts: KillOptions = {}): Promise<void> {
  const sig = parseSignal(signal);
  const c = DetachedContainer.load(root, id);
  // not the canKill guard's message: the shim matches these words
  if (c.status === 'stopped') throw new DetachedError('WRONG_STATE', `container ${id}: container not running (it is stopped); delete it`);
  if (sig === 'SIGKILL' && c.pod !== undefined) {
    // a pod member: its container is killed in the pod's sandbox, and its stand-in then exits 137
    try {
      await c.ask({ op: 'kill', signal: sig });
    } catch (err) {
      // the pod's sandbox is gone (its stand-in is exiting 137 by itself) or the container ended meanwhile
      if (!(err instanceof DetachedError && err.code === 'CONTROL')) throw err;
      killPid(c.state.pid);
    }
    return;
  }
  if (sig === 'SIGKILL') {
    killPid(c.state.pid);
    return;
  }
  if (c.state.inline) {
    // a foreground run on its process's own thread (run_foreground.ts): the signal is that process's
    try {
      process.kill(c.state.pid, sig);
    } catch {
      throw new DetachedError('WRONG_STATE', `container ${id}: container not running (it has just ended); delete it`);
    }
    return;
  }
  await c.ask({ op: 'kill', signal: sig });
}

/** SIGKILL `pid` (gone meanwhile: nothing to do). */
export function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited meanwhile
  }
}
