/** Wait: until a detached container has stopped, and the exit code it recorded. */
import { loadState, pidAlive, type RuncState } from '../detached/state.js';

/** Container `id`'s refreshed state, or undefined once it was deleted (or never existed). */
export function reloadState(root: string, id: string): RuncState | undefined {
  try {
    return loadState(root, id);
  } catch {
    return undefined;
  }
}

/**
 * Wait until container `id` has stopped (or is gone), polling its state
 * every 50 ms for at most `timeoutMs`; resolves with its state then
 * (still running after the timeout), or undefined if it was deleted.
 */
export async function waitContainer(root: string, id: string, timeoutMs = Infinity): Promise<RuncState | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const st = reloadState(root, id);
    if (!st || st.status === 'stopped') return st;
    if (Date.now() >= end) return st;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The exit code of a stopped container: the one its sandbox process
 * recorded, else 137 (the sandbox process itself was killed with SIGKILL
 * and could record nothing).
 */
export function stoppedExitCode(st: RuncState): number {
  return st.exitCode ?? 137;
}

/** Wait (bounded, 5 s) until `pid` is gone or a zombie (`start`: its start time, to tell a reused pid apart). */
export async function pidGone(pid: number, start: number | undefined): Promise<void> {
  for (let i = 0; i < 500 && pidAlive(pid, start); i++) await new Promise((r) => setTimeout(r, 10));
}
