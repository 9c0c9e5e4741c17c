/**
 * Delete: remove a created or stopped container's state (a created one's
 * sandbox process is killed; a created pod member is killed in the pod's
 * sandbox); `force` kills a running or paused one first.
 */
import { canDelete } from '../status.js';
import { removeContainerDir } from '../detached/state.js';
import { DetachedContainer } from './container.js';
import { killContainer, killPid } from './kill.js';
import { pidGone } from './wait.js';

/** Options of deleteContainer. */
export interface DeleteOptions {
  /** Kill a running or paused container first (else WRONG_STATE). */
  force?: boolean;
}

/** Delete container `id` under `root`; resolves once its sandbox process is gone (at most 5 s) and its directory removed. */
export async function deleteContainer(root: string, id: string, opts: DeleteOptions = {}): Promise<void> {
  const c = DetachedContainer.load(root, id);
  if (!opts.force) c.guard(canDelete, 'delete', 'stop it first (kill), or delete --force');
  if (c.status !== 'stopped') {
    // a pod member is killed in the pod's sandbox process (its stand-in then exits), else the sandbox process is
    await killContainer(root, id, 'SIGKILL').catch(() => killPid(c.state.pid));
    await pidGone(c.state.pid, c.state.pidStart);
  } else if (c.pod !== undefined) {
    // its stand-in was killed by hand while the container ran on in the pod's sandbox: end it there (refused once it has ended)
    await c.ask({ op: 'kill', signal: 'SIGKILL' }).catch(() => {});
  }
  removeContainerDir(root, id);
}
