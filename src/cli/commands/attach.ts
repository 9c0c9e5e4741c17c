/**
 * `wasmvisor attach CONTAINER`: print a running detached container's output
 * from now until it exits, then exit with its code; this command's stdin
 * goes to the container's when it was made with -i (unless --no-stdin).
 * Ctrl-C ends this command, not the container.
 */
import type { Command } from 'commander';
import { nodeConsoleSink } from '../../host/node_host.js';
import { stoppedExitCode, waitContainer } from '../../runtime/lifecycle/wait.js';
import { CliExit, ExitCode } from '../exit.js';
import { containersRoot, findContainer } from '../containers/store.js';
import { requireDetached } from '../containers/foreground.js';
import { printLog } from './logs.js';
import { forwardStdin } from '../containers/attach_stdin.js';

/** Register `attach`. */
export function register(program: Command): void {
  program.command('attach')
    .description('print a running container\'s output until it exits, and exit with its code')
    .argument('<container>', 'id, unique id prefix, or name')
    .option('--no-stdin', 'do not send this command\'s stdin to the container')
    .addHelpText('after', `
Output is the container's stdout and stderr from now on (its log; see logs).
Stdin: when the container was made with -i (run -d -i, create -i), what this
command reads goes to the container's stdin, and EOF here closes it (as
podman); without -i, or with --no-stdin, stdin is not read.

Exit status: the container's own; 125 if it does not exist or is not running.`)
    .action(async (ref: string, f: { stdin: boolean }, c: Command) => {
      const root = containersRoot(c);
      const st = findContainer(root, ref);
      if (st.status === 'stopped' || st.status === 'created') {
        throw new CliExit(ExitCode.RUNTIME, `container ${ref} is not running (it is ${st.status === 'created' ? 'created: start it, or start -a' : 'exited'}): you can only attach to running containers`);
      }
      requireDetached(st, ref, 'attach');
      // the log's end is taken before stdin is sent on, so the answer to it is printed
      const printing = printLog(root, st.id, { stdout: nodeConsoleSink(1), stderr: nodeConsoleSink(2) }, { follow: true, fromEnd: true });
      const stop = f.stdin ? await forwardStdin(root, st.id) : undefined;
      try {
        await printing;
      } finally {
        stop?.();
      }
      const end = await waitContainer(root, st.id);
      process.exitCode = end ? stoppedExitCode(end) : 0;
    });
}
