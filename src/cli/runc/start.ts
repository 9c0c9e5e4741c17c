/** `start ID`: run the process of a created container. */
import type { Command } from 'commander';
import { canStart } from '../../runtime/status.js';
import { askSandbox, rootOf } from './context.js';

/** Start container `id` (its sandbox process saves the state). */
export function startContainer(root: string, id: string): Promise<void> {
  return askSandbox(root, id, 'start', canStart, 'a container starts once: create another');
}

/** Register `start`. */
export function register(program: Command): void {
  program.command('start')
    .description('run the process of a created container')
    .argument('<container-id>')
    .action(async (id: string, _f: unknown, cmd: Command) => {
      await startContainer(rootOf(cmd), id);
    });
}
