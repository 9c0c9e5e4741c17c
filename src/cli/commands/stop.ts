/**
 * `wasmvisor stop [-t SECONDS] CONTAINER...`: the library's stopContainer
 * (SIGTERM, then SIGKILL after the timeout) for each detached container
 * still running; prints each name as given once it has stopped.
 */
import type { Command } from 'commander';
import { stopContainer } from '../../runtime/lifecycle/stop.js';
import { CliExit, ExitCode } from '../exit.js';
import { containersRoot, findContainer } from '../containers/store.js';

/** Register `stop`. */
export function register(program: Command): void {
  program.command('stop')
    .description('stop detached containers: SIGTERM, then SIGKILL after the timeout')
    .argument('<containers...>', 'ids, unique id prefixes, or names')
    .option('-t, --time <seconds>', 'seconds to wait after SIGTERM before SIGKILL', '10')
    .action(async (refs: string[], f: { time: string }, c: Command) => {
      if (!/^\d+$/.test(f.time)) throw new CliExit(ExitCode.RUNTIME, `invalid --time ${f.time}: give whole seconds, such as 10`);
      const root = containersRoot(c);
      for (const st of refs.map((r) => findContainer(root, r))) {
        if (st.status !== 'stopped') await stopContainer(root, st.id, Number(f.time) * 1000);
      }
      for (const r of refs) process.stdout.write(`${r}\n`);
    });
}
