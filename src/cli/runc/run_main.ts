/**
 * The start-up path of `wasmvisor-runc run` (bin/wasmvisor-runc.js takes
 * it whenever the command is `run`), bundled on its own
 * (dist/bundle/wasmvisor_runc_run.cjs) with the foreground run (the inline
 * platform's kernel) that main.ts's bundle leaves out. A plain waited-for
 * line (`run [--bundle B] [--pid-file F] ID`, light_main.ts's parse) of a
 * container that can run on this thread runs at once, without commander;
 * any other line goes to main.ts's program with `run` alone (loaded only
 * then), whose words and exit codes are the reference.
 */
import type { Command } from 'commander';
import * as foreground from '../../runtime/lifecycle/run_foreground.js';
import { failed, parsePlain } from './light_main.js';

/** Run a `run` command line; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const p = parsePlain(argv);
  if (p !== null && p.command === 'run' && p.consoleSocket === undefined && process.env.WASMVISOR_RUNC_SANDBOX !== '1') {
    let bundle;
    try {
      bundle = foreground.foregroundBundle(p.bundle);
    } catch (err) {
      return failed(p, err);
    }
    if (foreground.foregroundRunnable(bundle)) {
      try {
        return await foreground.runForeground({ root: p.root, id: p.id, bundle, pidFile: p.pidFile });
      } catch (err) {
        return failed(p, err);
      }
    }
  }
  const [{ runWith }, { registerRun }] = await Promise.all([import('./program.js'), import('./run.js')]);
  return runWith(argv, [{ register: (c: Command) => registerRun(c, foreground) }]);
}
