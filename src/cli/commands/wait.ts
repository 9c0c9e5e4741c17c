/** `wasmvisor wait CONTAINER...`: wait until detached containers exit; prints each exit code. */
import type { Command } from 'commander';
import { CliExit, ExitCode } from '../exit.js';
import { stoppedExitCode, waitContainer } from '../../runtime/lifecycle/wait.js';
import { containersRoot, findContainer } from '../containers/store.js';

/** Register `wait`. */
export function register(program: Command): void {
  program.command('wait')
    .description('wait for detached containers to exit and print their exit codes')
    .argument('<containers...>', 'ids, unique id prefixes, or names')
    .action(async (refs: string[], _f: unknown, c: Command) => {
      const root = containersRoot(c);
      for (const [i, st] of refs.map((r) => findContainer(root, r)).entries()) {
        const end = await waitContainer(root, st.id);
        if (!end) throw new CliExit(ExitCode.RUNTIME, `container ${refs[i]} was removed before its exit code could be read (run without --rm to keep it)`);
        process.stdout.write(`${stoppedExitCode(end)}\n`);
      }
    });
}
