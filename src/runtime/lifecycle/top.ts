/** Top and diff: a live container's processes and the paths its writable layer changed, from its sandbox process (a stopped one's layer: the one it kept, kept_upper.ts). */
import type { DiffEntry } from '../../sentry/control_plane.js';
import type { TopProcess } from '../detached/exec_module.js';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { LAYER_FILE } from '../detached/control.js';
import { UPPER_FILE, keptDiff } from '../detached/kept_upper.js';
import { DetachedError, containerDir } from '../detached/state.js';
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

/** Container `id` if it stopped with its writable layer kept (kept_upper.ts), else undefined. */
function keptDir(root: string, id: string): string | undefined {
  const c = DetachedContainer.load(root, id).guard(canInspect, 'read the files of', 'it was deleted');
  if (c.status !== 'stopped') return undefined;
  const dir = containerDir(root, id);
  if (!existsSync(join(dir, UPPER_FILE))) throw new DetachedError('WRONG_STATE', `container ${id}: it exited, and its writable layer was not kept (it ended before its sandbox process could write it, or was made by wasmvisor-runc)`);
  return dir;
}

/** Paths added (A), changed (C) and deleted (D) in container `id`'s writable layer, as podman diff; once it stopped, the kept one. */
export async function containerDiff(root: string, id: string): Promise<DiffEntry[]> {
  const dir = keptDir(root, id);
  if (dir !== undefined) return keptDiff(dir) ?? [];
  return (await live(root, id, 'diff').ask({ op: 'diff' })).diff ?? [];
}

/** Write container `id`'s upper layer as an OCI layer tar (whiteouts for deletions) and resolve to its path (the caller removes it); once it stopped, a copy of the kept one. */
export async function containerLayer(root: string, id: string): Promise<string> {
  const dir = keptDir(root, id);
  if (dir !== undefined) {
    copyFileSync(join(dir, UPPER_FILE), join(dir, LAYER_FILE));
    return join(dir, LAYER_FILE);
  }
  const reply = await live(root, id, 'commit').ask({ op: 'layer' });
  if (reply.path === undefined) throw new DetachedError('CONTROL', `container ${id}: its sandbox process wrote no layer`);
  return reply.path;
}
