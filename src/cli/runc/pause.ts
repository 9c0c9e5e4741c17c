/** `pause ID`: pause every process of a container. */
import type { Command } from 'commander';
import { canPause } from '../../runtime/status.js';
import { askSandbox, rootOf } from './context.js';

/** Pause container `id`: every process stops at its next system call. */
export function pauseContainer(root: string, id: string): Promise<void> {
  return askSandbox(root, id, 'pause', canPause, 'only a running container can be paused');
}

/** Register `pause`. */
export function register(program: Command): void {
  program.command('pause')
    .description('pause every process of a container')
    .argument('<container-id>')
    .action(async (id: string, _f: unknown, cmd: Command) => {
      await pauseContainer(rootOf(cmd), id);
    });
}
