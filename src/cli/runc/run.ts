/**
 * `run --bundle B [--detach] ID`: create, start and wait, exiting with
 * the container's code, then delete it. A waited-for plain container runs
 * on this process's own thread (the library's runForeground: no sandbox
 * process, no worker); anything else (detached, a terminal, a pod, ports,
 * a restart policy) through the library's runContainer, in a sandbox
 * process.
 */
import type { Command } from 'commander';
import { runContainer } from '../../runtime/lifecycle/run.js';
import { foregroundBundle, foregroundRunnable, runForeground } from '../../runtime/lifecycle/run_foreground.js';
import { rootOf, type GlobalFlags } from './context.js';
import { withCreateFlags, type CreateFlags } from './create.js';

/** Register `run`. */
export function register(program: Command): void {
  withCreateFlags(program.command('run').description('create and start a container, wait for it, and exit with its code'))
    .option('-d, --detach', 'return once started')
    .action(async (id: string, f: CreateFlags & { detach?: boolean }, cmd: Command) => {
      const { log, logFormat } = cmd.optsWithGlobals<GlobalFlags>();
      if (f.detach !== true && f.consoleSocket === undefined && process.env.WASMVISOR_RUNC_SANDBOX !== '1') {
        const bundle = foregroundBundle(f.bundle);
        if (foregroundRunnable(bundle)) {
          process.exitCode = await runForeground({ root: rootOf(cmd), id, bundle, pidFile: f.pidFile });
          return;
        }
      }
      process.exitCode = await runContainer({
        root: rootOf(cmd), id, bundle: f.bundle, pidFile: f.pidFile, consoleSocket: f.consoleSocket, log: { log, logFormat },
        detach: f.detach === true, forwardSignals: true,
      });
    });
}
