/**
 * `events [--stats] [--interval D] ID`: the container's cgroup figures as
 * runc's `stats` events, one JSON line each: once with --stats, else every
 * interval until the container stops.
 */
import type { Command } from 'commander';
import { DetachedError } from '../../runtime/detached/state.js';
import { containerStats, type ContainerStats } from '../../runtime/lifecycle/stats.js';
import { rootOf } from './context.js';

/** A runc `stats` event of container `id` (the memory and pids parts runc's cgroup v2 manager fills). */
export function statsEvent(id: string, s: ContainerStats): Record<string, unknown> {
  return {
    type: 'stats',
    id,
    data: {
      memory: {
        usage: { usage: s.memoryCurrent, max: s.memoryPeak, limit: s.memoryMax ?? 0, failcnt: s.memoryEvents.max },
        // runc's cgroup v2 manager fills stats from memory.stat; memory.high is not in its schema (ours: high, events.high)
        ...(s.memoryStat && { stats: { anon: s.memoryStat.anon, file: s.memoryStat.file, shmem: s.memoryStat.file } }),
        ...(s.memoryHigh !== undefined && { high: s.memoryHigh ?? 0, highEvents: s.memoryEvents.high }),
      },
      pids: { current: s.pidsCurrent, limit: s.pidsMax ?? 0 },
      // io.stat of the upper layer as runc's cgroup v2 manager reports io.stat
      ...(s.io && {
        blkio: {
          ioServiceBytesRecursive: [{ major: 0, minor: 0, op: 'read', value: s.io.rbytes }, { major: 0, minor: 0, op: 'write', value: s.io.wbytes }],
          ioServicedRecursive: [{ major: 0, minor: 0, op: 'read', value: s.io.rios }, { major: 0, minor: 0, op: 'write', value: s.io.wios }],
        },
      }),
      // not in runc's schema: what the container's seccomp profile refused, killed and logged
      ...(s.seccomp && { seccomp: s.seccomp }),
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
  for (let first = true; ; first = false) {
    let stats: ContainerStats;
    try {
      stats = await containerStats(root, id);
    } catch (err) {
      if (once || first) throw err;
      return; // the container stopped: the stream ends
    }
    process.stdout.write(`${JSON.stringify(statsEvent(id, stats))}\n`);
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
