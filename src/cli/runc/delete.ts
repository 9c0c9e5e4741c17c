/**
 * `delete [--force] ID`: remove a created or stopped container's state
 * (a created one's sandbox process is killed); `--force` kills a running
 * or paused one first.
 */
import type { Command } from 'commander';
import { deleteContainer } from '../../runtime/lifecycle/delete.js';
import { rootOf } from './context.js';

/** Register `delete`. */
export function register(program: Command): void {
  program.command('delete')
    .description('delete a created or stopped container')
    .argument('<container-id>')
    .option('-f, --force', 'kill it first if it is running or paused')
    .action(async (id: string, f: { force?: boolean }, cmd: Command) => {
      await deleteContainer(rootOf(cmd), id, { force: f.force === true });
    });
}
