/** `resume ID`: resume every process of a paused container. */
import type { Command } from 'commander';
import { resumeContainer } from '../../runtime/lifecycle/pause.js';
import { rootOf } from './context.js';

/** Register `resume`. */
export function register(program: Command): void {
  program.command('resume')
    .description('resume every process of a paused container')
    .argument('<container-id>')
    .action(async (id: string, _f: unknown, cmd: Command) => {
      await resumeContainer(rootOf(cmd), id);
    });
}
