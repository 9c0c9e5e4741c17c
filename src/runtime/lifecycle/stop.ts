/**
 * Stop: SIGTERM, then SIGKILL if the container still runs after a timeout
 * (podman's `stop`); and `killNow`, stop's last step, a SIGKILL whose exit
 * (137) and time the sandbox records.
 */
import { DetachedContainer } from './container.js';
import { killContainer } from './kill.js';
import { pidGone, waitContainer } from './wait.js';

/** Settle after `p` or after `ms`, whichever is first (a sandbox process that does not answer, e.g. stopped, is not waited for). */
function within(p: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([p.catch(() => {}), new Promise((r) => setTimeout(r, ms))]);
}

/**
 * Kill container `id` with SIGKILL: inside its sandbox first, so that the
 * sandbox records 137 and the time; the sandbox process itself if it has
 * not stopped within 2 s. Resolves once its sandbox process has exited.
 */
export async function killNow(root: string, id: string): Promise<void> {
  const c = DetachedContainer.load(root, id);
  const { pid, pidStart } = c.state;
  await within(c.ask({ op: 'kill', signal: 'SIGKILL' }), 2000);
  const st = await waitContainer(root, id, 2000);
  if (st && st.status !== 'stopped') await killContainer(root, id, 'SIGKILL').catch(() => {});
  await pidGone(pid, pidStart);
}

/**
 * Stop container `id` under `root`: SIGTERM, then killNow after
 * `timeoutMs`; resolves once its sandbox process has exited. NOT_FOUND if
 * it does not exist; a stopped container is left as it is.
 */
export async function stopContainer(root: string, id: string, timeoutMs: number): Promise<void> {
  const start = Date.now();
  const { pid, pidStart } = DetachedContainer.load(root, id).state;
  await within(killContainer(root, id, 'SIGTERM'), timeoutMs);
  const st = await waitContainer(root, id, Math.max(0, timeoutMs - (Date.now() - start)));
  if (st && st.status !== 'stopped') await killNow(root, id);
  else await pidGone(pid, pidStart);
}
