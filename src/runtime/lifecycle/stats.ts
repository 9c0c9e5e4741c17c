/** Stats: a live container's cgroup figures (memory, pids), from its sandbox process. */
import type { ControlReply } from '../detached/control.js';
import { DetachedError } from '../detached/state.js';
import { canInspect } from '../status.js';
import { DetachedContainer } from './container.js';

/** A container's cgroup figures, as its sandbox process answers `stats` (the Sentry's CgroupStats). */
export type ContainerStats = NonNullable<Extract<ControlReply, { ok: true }>['stats']>;

/** Container `id`'s cgroup figures now; WRONG_STATE once it has stopped (no figures are left). */
export async function containerStats(root: string, id: string): Promise<ContainerStats> {
  const c = DetachedContainer.load(root, id).guard(canInspect, 'get events of', 'it was deleted');
  if (c.status === 'stopped') throw new DetachedError('WRONG_STATE', `container ${id}: container not running (it is stopped); no figures are left`);
  return (await c.ask({ op: 'stats' })).stats!;
}
