/**
 * `wasmvisor stop [-t SECONDS] CONTAINER...`: SIGTERM to each detached
 * container, then SIGKILL for one still running after the timeout; prints
 * each name as given once it has stopped.
 */
import type { Command } from 'commander';
import { call } from '../../runtime/detached/control.js';
import { containerDir, loadState, socketPath } from '../../runtime/detached/state.js';
import { gone } from '../runc/delete.js';
import { killContainer } from '../runc/kill.js';
import { CliExit, ExitCode } from '../exit.js';
import { containersRoot, findContainer, waitStopped } from '../containers/store.js';

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
  const { pid, pidStart } = loadState(root, id);
  await within(call(socketPath(containerDir(root, id)), { op: 'kill', signal: 'SIGKILL' }), 2000);
  const st = await waitStopped(root, id, 2000);
  if (st && st.status !== 'stopped') await killContainer(root, id, 'SIGKILL').catch(() => {});
  await gone(pid, pidStart);
}

/** Stop container `id` under `root`: TERM, then KILL after `timeoutMs`; resolves once its sandbox process has exited. */
export async function stopContainer(root: string, id: string, timeoutMs: number): Promise<void> {
  const start = Date.now();
  const { pid, pidStart } = loadState(root, id);
  await within(killContainer(root, id, 'SIGTERM'), timeoutMs);
  const st = await waitStopped(root, id, Math.max(0, timeoutMs - (Date.now() - start)));
  if (st && st.status !== 'stopped') await killNow(root, id);
  else await gone(pid, pidStart);
}

/** Register `stop`. */
export function register(program: Command): void {
  program.command('stop')
    .description('stop detached containers: SIGTERM, then SIGKILL after the timeout')
    .argument('<containers...>', 'ids, unique id prefixes, or names')
    .option('-t, --time <seconds>', 'seconds to wait after SIGTERM before SIGKILL', '10')
    .action(async (refs: string[], f: { time: string }, c: Command) => {
      if (!/^\d+$/.test(f.time)) throw new CliExit(ExitCode.RUNTIME, `invalid --time ${f.time}: give whole seconds, such as 10`);
      const root = containersRoot(c);
      for (const st of refs.map((r) => findContainer(root, r))) {
        if (st.status !== 'stopped') await stopContainer(root, st.id, Number(f.time) * 1000);
      }
      for (const r of refs) process.stdout.write(`${r}\n`);
    });
}
