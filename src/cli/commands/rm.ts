/** `wasmvisor rm [-f] CONTAINER...`: remove detached containers (state and log); -f kills a running one first. */
import type { Command } from 'commander';
import { deleteContainer } from '../../runtime/lifecycle/delete.js';
import { CliExit, ExitCode } from '../exit.js';
import { containersRoot, findContainer } from '../containers/store.js';

/** Register `rm`. */
export function register(program: Command): void {
  program.command('rm')
    .description('remove detached containers and their logs')
    .argument('<containers...>', 'ids, unique id prefixes, or names')
    .option('-f, --force', 'kill a running container first')
    .action(async (refs: string[], f: { force?: boolean }, c: Command) => {
      const root = containersRoot(c);
      const states = refs.map((r) => findContainer(root, r));
      if (!f.force) {
        for (const [i, st] of states.entries()) {
          if (st.status !== 'stopped') throw new CliExit(ExitCode.RUNTIME, `container ${refs[i]} is running: stop it first (wasmvisor stop ${refs[i]}), or rm -f`);
        }
      }
      for (const st of states) await deleteContainer(root, st.id, { force: true });
      for (const r of refs) process.stdout.write(`${r}\n`);
    });
}
