/**
 * `kill [--all] ID [SIGNAL]`: SIGKILL kills the sandbox process itself
 * (so the shim reaps a real signal death); any other signal goes to the
 * container (TERM/INT/HUP/QUIT end it with 128+n, STOP/CONT pause and
 * resume).
 */
import type { Command } from 'commander';
import { call } from '../../runtime/detached/control.js';
import { parseSignal } from '../../runtime/detached/signals.js';
import { DetachedError, containerDir, loadState, socketPath } from '../../runtime/detached/state.js';
import { rootOf } from './context.js';

/** Send `signal` to container `id`. */
export async function killContainer(root: string, id: string, signal: string): Promise<void> {
  const sig = parseSignal(signal);
  const st = loadState(root, id);
  // containerd's shim matches "container not running" to treat the process as already finished
  if (st.status === 'stopped') throw new DetachedError('WRONG_STATE', `container ${id}: container not running (it is stopped); delete it`);
  if (sig === 'SIGKILL') {
    try {
      process.kill(st.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
    return;
  }
  await call(socketPath(containerDir(root, id)), { op: 'kill', signal: sig });
}

/** Register `kill`. */
export function register(program: Command): void {
  program.command('kill')
    .description('send a signal to a container (default SIGTERM)')
    .argument('<container-id>')
    .argument('[signal]', 'number (15) or name (TERM, SIGTERM)', 'SIGTERM')
    .option('-a, --all', 'signal every process of the container (its init ends them all)')
    .action(async (id: string, signal: string, _f: unknown, cmd: Command) => {
      await killContainer(rootOf(cmd), id, signal);
    });
}
