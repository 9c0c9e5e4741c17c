/** `wasmvisor rm [-f] [-a] [-i] CONTAINER...`: remove containers (state and log); -f kills a running one first. */
import type { Command } from 'commander';
import { deleteContainer } from '../../runtime/lifecycle/delete.js';
import { listStates } from '../../runtime/detached/state.js';
import { CliExit, ExitCode } from '../exit.js';
import { containersRoot, lookupContainer, noSuchContainer } from '../containers/store.js';

/** podman rm's exit codes beyond 0 and 125: a container did not exist (1), one is running or paused (2). */
const RmExit = { NO_SUCH: 1, RUNNING: 2 } as const;

/** Register `rm`. */
export function register(program: Command): void {
  program.command('rm')
    .description('remove containers and their logs')
    .argument('[containers...]', 'ids, unique id prefixes, or names')
    .option('-f, --force', 'kill a running or paused container first')
    .option('-a, --all', 'remove every container (running ones only with -f)')
    .option('-i, --ignore', 'a container that does not exist is not an error')
    .addHelpText('after', `
Created and exited containers are removed as they are (their log and kept
writable layer too); a running or paused one needs -f. Each container is
removed on its own: one that cannot be does not keep the others.

Exit status (as podman's): 0; 1 if a container does not exist (and nothing
else failed); 2 if a container is running or paused and -f was not given;
125 for any other failure.`)
    .action(async (refs: string[], f: { force?: boolean; all?: boolean; ignore?: boolean }, c: Command) => {
      if (f.all && refs.length > 0) throw new CliExit(ExitCode.RUNTIME, 'rm --all takes no container names or ids');
      if (!f.all && refs.length === 0) throw new CliExit(ExitCode.RUNTIME, 'rm needs at least one container name or id, or --all');
      const root = containersRoot(c);
      const targets = f.all ? listStates(root).map((st) => ({ ref: st.id, st })) : refs.map((ref) => ({ ref, st: lookupContainer(root, ref) }));
      let code = 0;
      const fail = (exit: number, line: string) => {
        process.stderr.write(`wasmvisor: ${line}\n`);
        if (code !== RmExit.NO_SUCH) code = exit; // as podman: "does not exist" outranks the rest
      };
      for (const { ref, st } of targets) {
        if (!st) {
          if (!f.ignore) fail(RmExit.NO_SUCH, noSuchContainer(ref));
          continue;
        }
        // a created container never ran: podman removes it without -f
        if (!f.force && st.status !== 'stopped' && st.status !== 'created') {
          fail(RmExit.RUNNING, `container ${ref} is ${st.status}: stop it first (wasmvisor stop ${ref}), or rm -f`);
          continue;
        }
        await deleteContainer(root, st.id, { force: true });
        process.stdout.write(`${ref}\n`);
      }
      if (code !== 0) throw new CliExit(code);
    });
}
