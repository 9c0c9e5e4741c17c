/**
 * `run --bundle B [--detach] ID`: create, start and wait; exits with the
 * container's code (its sandbox process's exit status) and deletes it.
 */
import type { Command } from 'commander';
import { childExitCode } from '../../runtime/detached/spawn.js';
import { removeContainerDir } from '../../runtime/detached/state.js';
import type { LogTarget } from '../../runtime/detached/log.js';
import { rootOf, type GlobalFlags } from './context.js';
import { createContainer, withCreateFlags, type CreateFlags, type OwnBundle } from './create.js';
import { startContainer } from './start.js';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'];

/** Run container `id`; resolves with its exit code (0 once started, with `detach`). `own`: see createContainer. */
export async function runContainer(root: string, id: string, f: CreateFlags & { detach?: boolean }, log: LogTarget = {}, own?: OwnBundle): Promise<number> {
  const child = await createContainer(root, id, f, f.detach === true, log, own);
  try {
    await startContainer(root, id);
  } catch (err) {
    child.kill('SIGKILL');
    await childExitCode(child);
    removeContainerDir(root, id);
    throw err;
  }
  if (f.detach) return 0;
  // this command stands for the container, as `runc run` does: signals sent to it go to the container
  const forward = (s: NodeJS.Signals) => { child.kill(s); };
  for (const s of FORWARDED) process.on(s, forward);
  const code = await childExitCode(child);
  for (const s of FORWARDED) process.off(s, forward);
  removeContainerDir(root, id);
  return code;
}

/** Register `run`. */
export function register(program: Command): void {
  withCreateFlags(program.command('run').description('create and start a container, wait for it, and exit with its code'))
    .option('-d, --detach', 'return once started')
    .action(async (id: string, f: CreateFlags & { detach?: boolean }, cmd: Command) => {
      process.exitCode = await runContainer(rootOf(cmd), id, f, cmd.optsWithGlobals<GlobalFlags>());
    });
}
