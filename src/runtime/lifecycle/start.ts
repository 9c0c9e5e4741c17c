/** Start: run the process of a created container (once). */
import { canStart } from '../status.js';
import { DetachedContainer } from './container.js';

/** Start container `id` under `root`: WRONG_STATE unless it is created; its sandbox process runs the init and saves `running`. */
export async function startContainer(root: string, id: string): Promise<void> {
  const c = DetachedContainer.load(root, id).guard(canStart, 'start', 'a container starts once: create another');
  await c.ask({ op: 'start' });
}
