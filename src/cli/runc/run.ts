/**
 * `run --bundle B [--detach] ID`: the library's runContainer (create,
 * start and wait); exits with the container's code and deletes it.
 */
import type { Command } from 'commander';
import { runContainer } from '../../runtime/lifecycle/run.js';
import { rootOf, type GlobalFlags } from './context.js';
import { withCreateFlags, type CreateFlags } from './create.js';

/** Register `run`. */
export function register(program: Command): void {
  withCreateFlags(program.command('run').description('create and start a container, wait for it, and exit with its code'))
    .option('-d, --detach', 'return once started')
    .action(async (id: string, f: CreateFlags & { detach?: boolean }, cmd: Command) => {
      const { log, logFormat } = cmd.optsWithGlobals<GlobalFlags>();
      process.exitCode = await runContainer({
        root: rootOf(cmd), id, bundle: f.bundle, pidFile: f.pidFile, consoleSocket: f.consoleSocket, log: { log, logFormat },
        detach: f.detach === true, forwardSignals: true,
      });
    });
}
