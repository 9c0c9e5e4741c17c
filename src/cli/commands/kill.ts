/**
 * `wasmvisor kill [-s SIGNAL] CONTAINER...`: send a signal (default
 * SIGKILL, as podman) to running detached containers. SIGKILL is the
 * library's killNow (stop's last step), so the exit (137) and its time are recorded.
 */
import type { Command } from 'commander';
import { parseSignal } from '../../runtime/detached/signals.js';
import { killContainer } from '../../runtime/lifecycle/kill.js';
import { killNow } from '../../runtime/lifecycle/stop.js';
import { CliExit, ExitCode } from '../exit.js';
import { allOrGiven, containersRoot, findContainer } from '../containers/store.js';
import { isForeground } from '../containers/foreground.js';

/** Register `kill`. */
export function register(program: Command): void {
  program.command('kill')
    .description('send a signal to containers (default SIGKILL); a foreground one\'s run process gets it')
    .argument('[containers...]', 'ids, unique id prefixes, or names')
    .option('-s, --signal <signal>', 'name (TERM, SIGTERM) or number (15)', 'SIGKILL')
    .option('-a, --all', 'signal every running container (prints their ids)')
    .action(async (given: string[], f: { signal: string; all?: boolean }, c: Command) => {
      const root = containersRoot(c);
      const refs = allOrGiven('kill', root, given, f.all);
      let signal: string;
      try {
        signal = parseSignal(f.signal);
      } catch (err) {
        throw new CliExit(ExitCode.RUNTIME, (err as Error).message);
      }
      const states = refs.map((r) => findContainer(root, r));
      for (const [i, st] of states.entries()) {
        if (st.status === 'stopped') throw new CliExit(ExitCode.RUNTIME, `container ${refs[i]} is not running (it exited): nothing to signal`);
      }
      for (const st of states) {
        if (isForeground(st)) process.kill(st.pid, signal as NodeJS.Signals); // its run process stands for it
        else await (signal === 'SIGKILL' ? killNow(root, st.id) : killContainer(root, st.id, signal));
      }
      for (const r of refs) process.stdout.write(`${r}\n`);
    });
}
