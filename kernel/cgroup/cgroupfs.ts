/**
 * cgroupfs: `/sys/fs/cgroup` inside a container, the cgroup v2 files of
 * its own cgroup (the container is the root of its cgroup namespace), on
 * the kernfs base. Read-only and generated on open from the `Cgroup`'s
 * control files: cgroup.controllers, cgroup.procs, then each controller's
 * (memory.max, memory.current, memory.peak, memory.events, pids.max,
 * pids.current, and any registered controller's).
 */
import { KernfsDir, KernfsFile, KernfsFs } from '../fs/kernfs.js';
import type { Clock } from '../vfs/superblock.js';
import type { Cgroup } from './cgroup.js';

/** The cgroup's directory: its control files are made when it is first looked in (most containers never do). */
class CgroupDir extends KernfsDir {
  constructor(fs: CgroupFs, cgroup: Cgroup) {
    super(fs, null);
    this.fillLater(() => {
      for (const f of cgroup.files()) this.kids.set(f.name, new KernfsFile(fs, () => f.read()));
    });
  }
}

/** A cgroupfs instance over one cgroup. */
export class CgroupFs extends KernfsFs {
  readonly root: KernfsDir;

  constructor(cgroup: Cgroup, clock: Clock) {
    super('cgroup2', 'cgroup2', clock);
    this.root = new CgroupDir(this, cgroup);
  }
}
