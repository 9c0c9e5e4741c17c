/** `wasmvisor restart [-t SECONDS] CONTAINER...`: stop each container (if it runs), then start it again detached (see start). */
import type { Command } from 'commander';
import { startContainer } from '../../runtime/lifecycle/start.js';
import { reloadState } from '../../runtime/lifecycle/wait.js';
import { CliExit, ExitCode } from '../exit.js';
import { containersRoot, findContainer } from '../containers/store.js';
import { startAgain } from '../containers/recreate.js';
import { stopOne } from './stop.js';

/** Register `restart`. */
export function register(program: Command): void {
  program.command('restart')
    .description('stop containers (SIGTERM, then SIGKILL after the timeout) and start them again')
    .argument('<containers...>', 'ids, unique id prefixes, or names')
    .option('-t, --time <seconds>', 'seconds to wait after SIGTERM before SIGKILL', '10')
    .addHelpText('after', '\nThe container starts again with its files as it left them (its writable layer is kept, as podman); its log goes on.\nExit status: 0; 125 if a container does not exist or cannot start.')
    .action(async (refs: string[], f: { time: string }, c: Command) => {
      if (!/^\d+$/.test(f.time)) throw new CliExit(ExitCode.RUNTIME, `invalid --time ${f.time}: give whole seconds, such as 10`);
      const root = containersRoot(c);
      for (const st of refs.map((r) => findContainer(root, r))) {
        if (st.status === 'created') {
          await startContainer(root, st.id);
          continue;
        }
        if (st.status !== 'stopped') await stopOne(root, st, Number(f.time) * 1000);
        await startAgain(root, reloadState(root, st.id) ?? st);
      }
      for (const r of refs) process.stdout.write(`${r}\n`);
    });
}
