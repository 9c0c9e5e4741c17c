/**
 * The parent cgroups of one Sentry: a tenant's or a pod's cgroup, under
 * which containers' cgroups nest (`ContainerSpec.cgroupParent`). Its
 * memory.max, pids.max, cpu.max and io.max bind the sum of its children
 * (kernel/cgroup: charges go up the tree, an ancestor's limit binds); a
 * child over its parent's limit is OOM-killed, refused a process or
 * throttled as if its own limit were hit. A group holds no task itself.
 * Paths are slash-separated names ("tenant1", "tenant1/pod2"): a path nests
 * under its longest prefix that is a group.
 */
import { Cgroup } from '../../kernel/cgroup/cgroup.js';
import { E } from '../../kernel/errno.js';

/** Why a group request is refused (the control plane carries `code`). */
export class GroupError extends Error {
  constructor(readonly code: 'EINVAL' | 'ENOENT', message: string) {
    super(message);
    this.name = 'GroupError';
  }
}

const NO_PROCS: readonly number[] = [];
const PATH = /^[A-Za-z0-9_.:@-]{1,128}(\/[A-Za-z0-9_.:@-]{1,128}){0,15}$/;

/** Parent cgroups by path. */
export class CgroupGroups {
  private readonly groups = new Map<string, Cgroup>();

  /** Make group `path` (under its nearest existing ancestor) or update its settings; control-file text by file name. */
  create(path: string, settings: Readonly<Record<string, string>> = {}): Cgroup {
    if (!PATH.test(path)) throw new GroupError('EINVAL', `cgroup ${JSON.stringify(path)}: give names of letters, digits, _ . : @ - joined by /`);
    let g = this.groups.get(path);
    if (g === undefined) {
      g = new Cgroup({ procs: () => NO_PROCS, parent: this.ancestor(path), policy: { fileLimit: 'oom-kill' } });
      this.groups.set(path, g);
    }
    for (const [name, text] of Object.entries(settings)) {
      try {
        g.set(name, text);
      } catch (e) {
        const why = e === E.NOENT ? 'no such control file' : e === E.ACCES ? 'read-only' : 'bad value';
        throw new GroupError('EINVAL', `cgroup ${path}: ${name} ${JSON.stringify(text)}: ${why}`);
      }
    }
    return g;
  }

  /** Group `path`, made without limits when there is none (as OCI cgroupsPath makes its parents). */
  get(path: string): Cgroup {
    return this.groups.get(path) ?? this.create(path);
  }

  /** Group `path`'s figures, flat (`memory.current`, `pids.current`, …). */
  stats(path: string): Record<string, number | null> {
    const g = this.groups.get(path);
    if (g === undefined) throw new GroupError('ENOENT', `no cgroup ${path}`);
    return g.stats();
  }

  /** Forget group `path` (its live children keep it until they go). */
  delete(path: string): void {
    const g = this.groups.get(path);
    if (g === undefined) return;
    this.groups.delete(path);
    g.remove();
  }

  private ancestor(path: string): Cgroup | undefined {
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const g = this.groups.get(path.slice(0, i));
      if (g !== undefined) return g;
    }
    return undefined;
  }
}
