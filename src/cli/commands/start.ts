/**
 * `wasmvisor start [-a] [-i] CONTAINER...`: start created containers (made
 * by `create`), or exited ones again (podman's start: the same config in a
 * fresh sandbox process; see ../containers/recreate.ts). With -a, this
 * command prints the container's output until it exits and exits with its
 * code; -a -i also sends this command's stdin to it (a container made with -i).
 */
import type { Command } from 'commander';
import { nodeConsoleSink } from '../../host/node_host.js';
import { startContainer } from '../../runtime/lifecycle/start.js';
import { stoppedExitCode, waitContainer } from '../../runtime/lifecycle/wait.js';
import { CliExit, ExitCode } from '../exit.js';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_FILE, containersRoot, findContainer } from '../containers/store.js';
import { startAgain } from '../containers/recreate.js';
import { printLog } from './logs.js';
import { forwardStdin } from '../containers/attach_stdin.js';

/** Register `start`. */
export function register(program: Command): void {
  program.command('start')
    .description('start created or exited containers (detached); -a prints the output and exits with the container\'s code')
    .argument('<containers...>', 'ids, unique id prefixes, or names')
    .option('-a, --attach', 'print the container\'s stdout and stderr until it exits; exit with its code (one container)')
    .option('-i, --interactive', 'with -a: send this command\'s stdin to the container (made with create -i; EOF here closes its stdin)')
    .addHelpText('after', `
With -a -i this command's stdin goes to the container's, when it was made
with -i (create -i); EOF here closes it. A running container is left as it
is. An exited container starts again with its files as the earlier run
left them (its kept writable layer, with what cp put into it since), as
podman's; its log goes on.

Exit status: with -a the container's own; else 0. 125 if a container does
not exist or cannot start.`)
    .action(async (refs: string[], f: { attach?: boolean; interactive?: boolean }, c: Command) => {
      const root = containersRoot(c);
      if (f.attach && refs.length > 1) throw new CliExit(ExitCode.RUNTIME, 'start -a takes one container: attach to one at a time');
      const states = refs.map((r) => findContainer(root, r));
      // -a of an exited container shows this run's output: what its log holds now is the earlier runs'
      let from: number | undefined;
      try {
        from = states[0]!.status === 'stopped' ? statSync(join(root, states[0]!.id, LOG_FILE)).size : undefined;
      } catch {
        from = 0;
      }
      for (const st of states) {
        if (st.status === 'created') await startContainer(root, st.id);
        else if (st.status === 'stopped') await startAgain(root, st);
      }
      if (f.attach) {
        const st = states[0]!;
        const printing = printLog(root, st.id, { stdout: nodeConsoleSink(1), stderr: nodeConsoleSink(2) }, { follow: true, from });
        const stop = f.interactive ? await forwardStdin(root, st.id) : undefined;
        try {
          await printing;
        } finally {
          stop?.();
        }
        const end = await waitContainer(root, st.id);
        process.exitCode = end ? stoppedExitCode(end) : 0;
        return;
      }
      for (const r of refs) process.stdout.write(`${r}\n`);
    });
}
