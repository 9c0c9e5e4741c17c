/**
 * `wasmvisor stop [-t SECONDS] CONTAINER...`: the library's stopContainer
 * (SIGTERM, then SIGKILL after the timeout) for each container still
 * running; prints each name as given once it has stopped. A foreground
 * container (run without -d) is stopped by signalling its run process.
 */
import type { Command } from 'commander';
import { stopContainer } from '../../runtime/lifecycle/stop.js';
import { join } from 'node:path';
import { pidGone, reloadState, waitContainer } from '../../runtime/lifecycle/wait.js';
import { saveState, type RuncState } from '../../runtime/detached/state.js';
import { CliExit, ExitCode } from '../exit.js';
import { allOrGiven, containersRoot, findContainer } from '../containers/store.js';
import { isForeground } from '../containers/foreground.js';

/** Stop one running container, detached or foreground, within `timeoutMs` before SIGKILL. */
export async function stopOne(root: string, st: RuncState, timeoutMs: number): Promise<void> {
  if (!isForeground(st)) {
    await stopContainer(root, st.id, timeoutMs);
    return;
  }
  const signal = (s: NodeJS.Signals) => { try { process.kill(st.pid, s); } catch { /* gone */ } };
  signal('SIGTERM');
  const end = await waitContainer(root, st.id, timeoutMs);
  const killed = end !== undefined && end.status !== 'stopped';
  if (killed) signal('SIGKILL');
  await pidGone(st.pid, st.pidStart);
  // the run process died of the signal without a word: record the exit a shell would report
  const now = reloadState(root, st.id);
  if (now && now.exitCode === undefined) {
    try {
      saveState(join(root, st.id), { ...now, status: 'stopped', pid: 0, exitCode: killed ? 137 : 143, finished: new Date().toISOString() });
    } catch {
      // removed meanwhile
    }
  }
}

/** Register `stop`. */
export function register(program: Command): void {
  program.command('stop')
    .description('stop containers: SIGTERM, then SIGKILL after the timeout')
    .argument('[containers...]', 'ids, unique id prefixes, or names')
    .option('-t, --time <seconds>', 'seconds to wait after SIGTERM before SIGKILL', '10')
    .option('-a, --all', 'stop every running container (prints their ids)')
    .addHelpText('after', '\nA container started with --restart stays stopped.\nExit status: 0; 125 if a container does not exist.')
    .action(async (given: string[], f: { time: string; all?: boolean }, c: Command) => {
      if (!/^\d+$/.test(f.time)) throw new CliExit(ExitCode.RUNTIME, `invalid --time ${f.time}: give whole seconds, such as 10`);
      const root = containersRoot(c);
      const refs = allOrGiven('stop', root, given, f.all);
      for (const st of refs.map((r) => findContainer(root, r))) {
        if (st.status !== 'stopped') await stopOne(root, st, Number(f.time) * 1000);
      }
      for (const r of refs) process.stdout.write(`${r}\n`);
    });
}
