/** `resume ID`: resume every process of a paused container. */
import type { Command } from 'commander';
import { canResume } from '../../runtime/status.js';
import { askSandbox, rootOf } from './context.js';

/** Resume paused container `id`. */
export function resumeContainer(root: string, id: string): Promise<void> {
  return askSandbox(root, id, 'resume', canResume, 'only a paused container can be resumed');
}

/** Register `resume`. */
export function register(program: Command): void {
  program.command('resume')
    .description('resume every process of a paused container')
    .argument('<container-id>')
    .action(async (id: string, _f: unknown, cmd: Command) => {
      await resumeContainer(rootOf(cmd), id);
    });
}
