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
    .option('-f, --force', 'kill a running or paused container first')
    .addHelpText('after', `
Created and exited containers are removed as they are (their log and kept
writable layer too); a running or paused one needs -f.

Exit status: 0; 125 if a container does not exist or runs without -f.`)
    .action(async (refs: string[], f: { force?: boolean }, c: Command) => {
      const root = containersRoot(c);
      const states = refs.map((r) => findContainer(root, r));
      if (!f.force) {
        for (const [i, st] of states.entries()) {
          // a created container never ran: podman removes it without -f
          if (st.status !== 'stopped' && st.status !== 'created') throw new CliExit(ExitCode.RUNTIME, `container ${refs[i]} is ${st.status}: stop it first (wasmvisor stop ${refs[i]}), or rm -f`);
        }
      }
      for (const st of states) await deleteContainer(root, st.id, { force: true });
      for (const r of refs) process.stdout.write(`${r}\n`);
    });
}
