/**
 * `delete [--force] ID`: remove a created or stopped container's state
 * (a created one's sandbox process is killed); `--force` kills a running
 * or paused one first.
 */
import type { Command } from 'commander';
import { loadState, pidAlive, removeContainerDir } from '../../runtime/detached/state.js';
import { canDelete } from '../../runtime/status.js';
import { guard, rootOf } from './context.js';

/** Wait (bounded, 5 s) until `pid` is gone or a zombie. */
export async function gone(pid: number, start: number | undefined): Promise<void> {
  for (let i = 0; i < 500 && pidAlive(pid, start); i++) await new Promise((r) => setTimeout(r, 10));
}

/** Delete container `id`. */
export async function deleteContainer(root: string, id: string, force: boolean): Promise<void> {
  const st = loadState(root, id);
  if (!force) guard(canDelete, st, 'delete', 'stop it first (kill), or delete --force');
  if (st.status !== 'stopped') {
    try {
      process.kill(st.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
    await gone(st.pid, st.pidStart);
  }
  removeContainerDir(root, id);
}

/** Register `delete`. */
export function register(program: Command): void {
  program.command('delete')
    .description('delete a created or stopped container')
    .argument('<container-id>')
    .option('-f, --force', 'kill it first if it is running or paused')
    .action(async (id: string, f: { force?: boolean }, cmd: Command) => {
      await deleteContainer(rootOf(cmd), id, f.force === true);
    });
}
