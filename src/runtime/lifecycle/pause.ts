/** Pause and resume: every process of a container stops at its next system call, then goes on. */
import { canPause, canResume } from '../status.js';
import { DetachedContainer } from './container.js';

/** Pause running container `id`; its sandbox process saves `paused`. */
export async function pauseContainer(root: string, id: string): Promise<void> {
  const c = DetachedContainer.load(root, id).guard(canPause, 'pause', 'only a running container can be paused');
  await c.ask({ op: 'pause' });
}

/** Resume paused container `id`; its sandbox process saves `running`. */
export async function resumeContainer(root: string, id: string): Promise<void> {
  const c = DetachedContainer.load(root, id).guard(canResume, 'resume', 'only a paused container can be resumed');
  await c.ask({ op: 'resume' });
}
