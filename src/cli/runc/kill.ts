/**
 * `kill [--all] ID [SIGNAL]`: the library's killContainer (SIGKILL kills
 * the sandbox process itself, so the shim reaps a real signal death; any
 * other signal goes to the container).
 */
import type { Command } from 'commander';
import { killContainer } from '../../runtime/lifecycle/kill.js';
import { rootOf } from './context.js';

/** Register `kill`. */
export function register(program: Command): void {
  program.command('kill')
    .description('send a signal to a container (default SIGTERM)')
    .argument('<container-id>')
    .argument('[signal]', 'number (15) or name (TERM, SIGTERM)', 'SIGTERM')
    .option('-a, --all', 'signal every process of the container (its init ends them all)')
    .action(async (id: string, signal: string, f: { all?: boolean }, cmd: Command) => {
      await killContainer(rootOf(cmd), id, signal, { all: f.all === true });
    });
}
