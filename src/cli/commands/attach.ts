/**
 * `wasmvisor attach CONTAINER`: print a running detached container's output
 * from now until it exits, then exit with its code. Its stdin is fixed at
 * create (see start -i); Ctrl-C ends this command, not the container.
 */
import type { Command } from 'commander';
import { nodeConsoleSink } from '../../host/node_host.js';
import { stoppedExitCode, waitContainer } from '../../runtime/lifecycle/wait.js';
import { CliExit, ExitCode } from '../exit.js';
import { containersRoot, findContainer } from '../containers/store.js';
import { requireDetached } from '../containers/foreground.js';
import { printLog } from './logs.js';

/** Register `attach`. */
export function register(program: Command): void {
  program.command('attach')
    .description('print a running container\'s output until it exits, and exit with its code')
    .argument('<container>', 'id, unique id prefix, or name')
    .option('--no-stdin', 'accepted for podman compatibility (stdin is never attached)')
    .addHelpText('after', '\nExit status: the container\'s own; 125 if it does not exist or is not running.')
    .action(async (ref: string, _f: unknown, c: Command) => {
      const root = containersRoot(c);
      const st = findContainer(root, ref);
      if (st.status === 'stopped' || st.status === 'created') {
        throw new CliExit(ExitCode.RUNTIME, `container ${ref} is not running (it is ${st.status === 'created' ? 'created: start it, or start -a' : 'exited'}): you can only attach to running containers`);
      }
      requireDetached(st, ref, 'attach');
      await printLog(root, st.id, nodeConsoleSink(1), { follow: true, fromEnd: true });
      const end = await waitContainer(root, st.id);
      process.exitCode = end ? stoppedExitCode(end) : 0;
    });
}
