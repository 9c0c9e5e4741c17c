/**
 * `run --bundle B [--detach] ID`: create, start and wait, exiting with
 * the container's code, then delete it. In run_main.ts's program (the one
 * bin/wasmvisor-runc.js runs for `run`), a waited-for plain container runs
 * on this process's own thread (the library's runForeground: no sandbox
 * process, no worker); anything else (detached, a terminal, a pod, ports,
 * a restart policy), and every run of main.ts's program (whose bundle
 * leaves the kernel out), through the library's runContainer, in a
 * sandbox process.
 */
import type { Command } from 'commander';
import type { Bundle } from '../../runtime/detached/bundle.js';
import { runContainer } from '../../runtime/lifecycle/run.js';
import type { ForegroundOptions } from '../../runtime/lifecycle/run_foreground.js';
import { rootOf, type GlobalFlags } from './context.js';
import { withCreateFlags, type CreateFlags } from './create.js';

/** The library's foreground run (lifecycle/run_foreground.ts), handed in by run_main.ts. */
export interface Foreground {
  foregroundBundle(dir: string | undefined): Bundle;
  foregroundRunnable(bundle: Bundle): boolean;
  runForeground(opts: ForegroundOptions): Promise<number>;
}

/** Register `run`; with `fg`, a plain waited-for container runs on this thread. */
export function registerRun(program: Command, fg: Foreground | null): void {
  withCreateFlags(program.command('run').description('create and start a container, wait for it, and exit with its code'))
    .option('-d, --detach', 'return once started')
    .action(async (id: string, f: CreateFlags & { detach?: boolean }, cmd: Command) => {
      const { log, logFormat } = cmd.optsWithGlobals<GlobalFlags>();
      if (fg && f.detach !== true && f.consoleSocket === undefined && process.env.WASMVISOR_RUNC_SANDBOX !== '1') {
        const bundle = fg.foregroundBundle(f.bundle);
        if (fg.foregroundRunnable(bundle)) {
          process.exitCode = await fg.runForeground({ root: rootOf(cmd), id, bundle, pidFile: f.pidFile });
          return;
        }
      }
      process.exitCode = await runContainer({
        root: rootOf(cmd), id, bundle: f.bundle, pidFile: f.pidFile, consoleSocket: f.consoleSocket, log: { log, logFormat },
        detach: f.detach === true, forwardSignals: true,
      });
    });
}

/** Register `run` (main.ts's program: always through a sandbox process). */
export function register(program: Command): void {
  registerRun(program, null);
}
