/** `start ID`: run the process of a created container. */
import type { Command } from 'commander';
import { startContainer } from '../../runtime/lifecycle/start.js';
import { rootOf } from './context.js';

/** Register `start`. */
export function register(program: Command): void {
  program.command('start')
    .description('run the process of a created container')
    .argument('<container-id>')
    .action(async (id: string, _f: unknown, cmd: Command) => {
      await startContainer(rootOf(cmd), id);
    });
}
