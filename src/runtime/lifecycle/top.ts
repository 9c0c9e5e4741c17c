/** Top and diff: a live container's processes and the paths its writable layer changed, from its sandbox process. */
import type { DiffEntry } from '../../sentry/control_plane.js';
import type { TopProcess } from '../detached/exec_module.js';
import { DetachedError } from '../detached/state.js';
import { canInspect } from '../status.js';
import { DetachedContainer } from './container.js';

function live(root: string, id: string, what: string): DetachedContainer {
  const c = DetachedContainer.load(root, id).guard(canInspect, what, 'it was deleted');
  if (c.status === 'stopped') throw new DetachedError('WRONG_STATE', `container ${id}: container not running (it is stopped); its ${what === 'list processes of' ? 'processes are' : 'filesystem is'} gone`);
  return c;
}

/** Container `id`'s live processes (pid in its pid namespace, argv, uid, start time); WRONG_STATE once it stopped. */
export async function containerTop(root: string, id: string): Promise<TopProcess[]> {
  return (await live(root, id, 'list processes of').ask({ op: 'top' })).top ?? [];
}

/** Paths added (A), changed (C) and deleted (D) in container `id`'s writable layer, as podman diff; WRONG_STATE once it stopped. */
export async function containerDiff(root: string, id: string): Promise<DiffEntry[]> {
  return (await live(root, id, 'diff').ask({ op: 'diff' })).diff ?? [];
}

/** Write container `id`'s upper layer as an OCI layer tar (whiteouts for deletions) and resolve to its path; WRONG_STATE once it stopped. */
export async function containerLayer(root: string, id: string): Promise<string> {
  const reply = await live(root, id, 'commit').ask({ op: 'layer' });
  if (reply.path === undefined) throw new DetachedError('CONTROL', `container ${id}: its sandbox process wrote no layer`);
  return reply.path;
}
