/**
 * cgroupfs: `/sys/fs/cgroup` inside a container, the cgroup v2 files of
 * its own cgroup (the container is the root of its cgroup namespace).
 * Read-only and generated on open from a `CgroupSource`, as procfs is:
 * memory.max, memory.current, memory.peak, memory.events, pids.max,
 * pids.current, plus cgroup.controllers and cgroup.procs.
 */
import { E } from '../errno.js';
import { GeneratedFile } from '../fs/procfs.js';
import { BaseInode, FIRST_SEQ, type Inode, type InodeDirEntry, type OpenRequest } from '../vfs/inode.js';
import { type Clock, type FileSystem, SuperBlock } from '../vfs/superblock.js';
import { type Filestat, FileType, type FileTypeValue, type OpenFile } from '../vfs/types.js';

/** The figures cgroupfs shows; `null` limits print as `max`. */
export interface CgroupSource {
  memoryMax(): number | null;
  memoryCurrent(): number;
  memoryPeak(): number;
  memoryEvents(): { low: number; high: number; max: number; oom: number; oom_kill: number };
  pidsMax(): number | null;
  pidsCurrent(): number;
  /** Pids in the cgroup (cgroup.procs). */
  pids(): readonly number[];
}

const enc = new TextEncoder();

abstract class CgNode extends BaseInode {
  readonly ino: bigint;
  constructor(readonly fs: CgroupFs, readonly type: FileTypeValue, readonly mode: number) {
    super();
    this.ino = fs.sb.nextIno();
  }
  readonly uid = 0;
  readonly gid = 0;
  get sb(): SuperBlock {
    return this.fs.sb;
  }
  stat(): Filestat {
    const t = this.fs.bootNs;
    return { dev: this.fs.sb.dev, ino: this.ino, filetype: this.type, nlink: this.type === FileType.DIRECTORY ? 2n : 1n, size: 0n, atim: t, mtim: t, ctim: t, mode: this.mode, uid: 0, gid: 0 };
  }
}

class CgFile extends CgNode {
  constructor(fs: CgroupFs, private readonly gen: () => string) {
    super(fs, FileType.REGULAR_FILE, 0o444);
  }
  override open(req: OpenRequest): OpenFile {
    if (req.mode.write) throw E.ACCES;
    return new GeneratedFile(this, enc.encode(this.gen()), req);
  }
}

class CgDir extends CgNode {
  readonly kids = new Map<string, Inode>();
  constructor(fs: CgroupFs) {
    super(fs, FileType.DIRECTORY, 0o555);
  }
  override parentDir(): Inode {
    return this;
  }
  override lookup(name: string): Inode | undefined {
    return this.kids.get(name);
  }
  override readdir(after: number, max: number): InodeDirEntry[] {
    const out: InodeDirEntry[] = [];
    let seq = FIRST_SEQ;
    for (const [name, k] of this.kids) {
      if (seq > after && out.length < max) out.push({ name, ino: k.ino, type: k.type, seq });
      seq++;
    }
    return out;
  }
}

const limit = (v: number | null) => `${v === null ? 'max' : v}\n`;

/** A cgroupfs instance over one container's cgroup. */
export class CgroupFs implements FileSystem {
  readonly sb: SuperBlock;
  readonly root: Inode;
  readonly source = 'cgroup2';
  readonly bootNs: bigint;

  constructor(src: CgroupSource, clock: Clock) {
    this.sb = new SuperBlock('cgroup2', clock);
    this.bootNs = clock.realtimeNs();
    const root = new CgDir(this);
    const files: Record<string, () => string> = {
      'cgroup.controllers': () => 'memory pids\n',
      'cgroup.procs': () => src.pids().map((p) => `${p}\n`).join(''),
      'memory.max': () => limit(src.memoryMax()),
      'memory.current': () => `${src.memoryCurrent()}\n`,
      'memory.peak': () => `${src.memoryPeak()}\n`,
      'memory.events': () => {
        const e = src.memoryEvents();
        return `low ${e.low}\nhigh ${e.high}\nmax ${e.max}\noom ${e.oom}\noom_kill ${e.oom_kill}\n`;
      },
      'pids.max': () => limit(src.pidsMax()),
      'pids.current': () => `${src.pidsCurrent()}\n`,
    };
    for (const [name, gen] of Object.entries(files)) root.kids.set(name, new CgFile(this, gen));
    this.root = root;
  }
}
