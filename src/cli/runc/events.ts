/**
 * `events [--stats] [--interval D] ID`: the container's cgroup figures as
 * runc's `stats` events, one JSON line each: once with --stats, else every
 * interval until the container stops.
 */
import type { Command } from 'commander';
import type { CgroupStats } from '../../sentry/control_plane.js';
import { call } from '../../runtime/detached/control.js';
import { DetachedError, containerDir, loadState, socketPath } from '../../runtime/detached/state.js';
import { canInspect } from '../../runtime/status.js';
import { guard, rootOf } from './context.js';

/** A runc `stats` event of container `id` (the memory and pids parts runc's cgroup v2 manager fills). */
export function statsEvent(id: string, s: CgroupStats): Record<string, unknown> {
  return {
    type: 'stats',
    id,
    data: {
      memory: { usage: { usage: s.memoryCurrent, max: s.memoryPeak, limit: s.memoryMax ?? 0, failcnt: s.memoryEvents.max } },
      pids: { current: s.pidsCurrent, limit: s.pidsMax ?? 0 },
    },
  };
}

/** `5s`, `500ms`, `1m`, or a number of seconds, in ms. */
export function parseInterval(spec: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(spec.trim());
  if (!m || Number(m[1]) <= 0) throw new DetachedError('BAD_ARG', `invalid --interval ${spec}: give a duration such as 5s or 500ms`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm'];
}

/** Print container `id`'s stats once, or every `intervalMs` until it stops. */
export async function containerEvents(root: string, id: string, once: boolean, intervalMs: number): Promise<void> {
  const st = loadState(root, id);
  guard(canInspect, st, 'get events of', 'it was deleted');
  if (st.status === 'stopped') throw new DetachedError('WRONG_STATE', `container ${id}: container not running (it is stopped); no figures are left`);
  const socket = socketPath(containerDir(root, id));
  for (;;) {
    let stats: CgroupStats | undefined;
    try {
      stats = (await call(socket, { op: 'stats' })).stats;
    } catch (err) {
      if (once) throw err;
      return; // the container stopped: the stream ends
    }
    process.stdout.write(`${JSON.stringify(statsEvent(id, stats!))}\n`);
    if (once) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Register `events`. */
export function register(program: Command): void {
  program.command('events')
    .description('print the container\'s resource figures as stats events (JSON lines)')
    .argument('<container-id>')
    .option('--stats', 'print them once and exit')
    .option('--interval <duration>', 'time between events', '5s')
    .action(async (id: string, f: { stats?: boolean; interval: string }, cmd: Command) => {
      await containerEvents(rootOf(cmd), id, f.stats === true, parseInterval(f.interval));
    });
}
