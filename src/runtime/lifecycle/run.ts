/**
 * Run: create, start and (unless detached) wait; the container's exit code
 * is its sandbox process's exit status, and a waited-for container is
 * deleted once it ends, as `runc run` does.
 */
import { childExitCode } from '../detached/spawn.js';
import { removeContainerDir } from '../detached/state.js';
import { createContainer, type CreateOptions } from './create.js';
import { startContainer } from './start.js';

/** Signals passed on to a waited-for container with `forwardSignals`. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'];

/** What runContainer takes: createContainer's options (its `detached` is `detach`'s). */
export interface RunOptions extends Omit<CreateOptions, 'detached'> {
  /** Resolve with 0 once started, leaving the container running (in its own session). */
  detach?: boolean;
  /** While waiting, pass SIGTERM, SIGINT, SIGHUP and SIGQUIT sent to this process on to the container (this process stands for it, as `runc run`). */
  forwardSignals?: boolean;
}

/** Run container `opts.id`; resolves with its exit code (0 once started, with `detach`). A failed start leaves nothing behind. */
export async function runContainer(opts: RunOptions): Promise<number> {
  const { root, id } = opts;
  const { child } = await createContainer({ ...opts, detached: opts.detach === true });
  try {
    await startContainer(root, id);
  } catch (err) {
    child.kill('SIGKILL');
    await childExitCode(child);
    removeContainerDir(root, id);
    throw err;
  }
  if (opts.detach) return 0;
  const forward = (s: NodeJS.Signals) => { child.kill(s); };
  if (opts.forwardSignals) for (const s of FORWARDED) process.on(s, forward);
  const code = await childExitCode(child);
  if (opts.forwardSignals) for (const s of FORWARDED) process.off(s, forward);
  removeContainerDir(root, id);
  return code;
}
