/**
 * A parent cgroup on the library Runtime: a tenant's or a pod's cgroup,
 * under which containers nest (`Runtime.createGroup`, then `cgroupParent`
 * in the container's config via `linux.cgroupsPath` "NAME/ctr"). Its limits
 * bind the sum of its children: a container whose usage takes the group
 * over memory.max is OOM-killed, a process past the group's pids.max is
 * refused (EAGAIN), cpu.max throttles all of them together. Inside each
 * container /sys/fs/cgroup shows the container's own cgroup at the root,
 * as a cgroup namespace does; the group's figures are `stats()`.
 * A group lives in one Sentry: every container under it is placed there.
 */
import type { SentryHandle } from '../sentry/worker_host.js';
import { ContainerError } from './status.js';

/** A group's limits (null or absent: max). */
export interface GroupResources {
  /** memory.max in bytes. */
  memory?: number | null;
  /** pids.max. */
  pids?: number | null;
  /** cpu.max: quota µs per period µs (period default 100000). */
  cpu?: { quota: number | null; period?: number };
}

/** The control-file settings of `r` (ContainerError INVALID_CONFIG for a bad value). */
export function groupSettings(r: GroupResources): Record<string, string> {
  const out: Record<string, string> = {};
  const whole = (v: number | null | undefined, what: string, min: number) => {
    if (v === undefined) return undefined;
    if (v === null) return 'max';
    if (!(Number.isSafeInteger(v) && v >= min)) throw new ContainerError('INVALID_CONFIG', `group ${what} ${v}: give a whole number, at least ${min}, or null for max`);
    return String(v);
  };
  const mem = whole(r.memory, 'memory', 1);
  if (mem !== undefined) out['memory.max'] = mem;
  const pids = whole(r.pids, 'pids', 1);
  if (pids !== undefined) out['pids.max'] = pids;
  if (r.cpu !== undefined) out['cpu.max'] = `${whole(r.cpu.quota, 'cpu quota', 1000)} ${whole(r.cpu.period ?? 100_000, 'cpu period', 1000)}`;
  return out;
}

/** A parent cgroup of a Runtime. */
export class ContainerGroup {
  constructor(
    /** Its path ("tenant1", "tenant1/pod2"): what containers name as their parent. */
    readonly name: string,
    private readonly sentry: SentryHandle,
    private readonly forget: () => void,
  ) {}

  /** Its figures, flat: memory.current, memory.max, memory.events.oom_kill, pids.current, pids.max, cpu.usage_usec, … */
  async stats(): Promise<Record<string, number | null>> {
    return this.sentry.api.groupStats(this.name);
  }

  /** Change its limits (the ones given; the others stay). */
  async update(resources: GroupResources): Promise<void> {
    await this.sentry.api.createGroup(this.name, groupSettings(resources));
  }

  /** Forget it: containers still under it keep its limits until they are deleted. */
  async delete(): Promise<void> {
    this.forget();
    await this.sentry.api.deleteGroup(this.name);
  }
}
