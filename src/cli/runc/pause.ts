/** `pause ID`: pause every process of a container. */
import type { Command } from 'commander';
import { pauseContainer } from '../../runtime/lifecycle/pause.js';
import { rootOf } from './context.js';

/** Register `pause`. */
export function register(program: Command): void {
  program.command('pause')
    .description('pause every process of a container')
    .argument('<container-id>')
    .action(async (id: string, _f: unknown, cmd: Command) => {
      await pauseContainer(rootOf(cmd), id);
    });
}
