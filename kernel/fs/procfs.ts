/**
 * procfs: `/proc`, generated from a `ProcSource` that the task layer
 * implements. Content is produced when a file is opened (a snapshot, as
 * Linux's seq files per read) and stat reports size 0. Pids are those of
 * the caller's pid namespace; `/proc/self` is a symlink to the caller's
 * pid; `/proc/<pid>/fd/N` are magic links to that task's open files.
 */
import { E } from '../errno.js';
import { BaseInode, FIRST_SEQ, type Inode, type InodeDirEntry, type OpenRequest } from '../vfs/inode.js';
import type { MountInfo } from '../vfs/mount_ns.js';
import { type Clock, type FileSystem, SuperBlock } from '../vfs/superblock.js';
import { type Credentials, type DirEntry, type DirHandle, type Filestat, FileType, type FileTypeValue, type OpenFile, type OpenMode, Whence } from '../vfs/types.js';
import { FdDir, type FdSource } from './fd_link.js';

/** What procfs shows of one task. */
export interface ProcTaskInfo {
  pid: number;
  ppid: number;
  /** Command name (argv[0] basename), for `Name:`. */
  name: string;
  /** State letter and word, e.g. `R (running)`, `S (sleeping)`, `Z (zombie)`. */
  state: string;
  uid: number;
  gid: number;
  cmdline: readonly string[];
  environ: readonly string[];
  /** Resident memory in KiB (linear memory size), if known. */
  vmRssKb?: number;
  /** Open fd numbers, ascending. */
  fds(): readonly number[];
  /** The open file of fd `n`. */
  fd(n: number): OpenFile | undefined;
}

/** Memory figures for /proc/meminfo, in KiB. */
export interface MemInfo {
  totalKb: number;
  freeKb: number;
  availableKb: number;
}

/** The data procfs shows; implemented by the task layer (per pid namespace). */
export interface ProcSource {
  /** Every task visible, ascending pid. */
  tasks(): readonly ProcTaskInfo[];
  task(pid: number): ProcTaskInfo | undefined;
  /** The mounts of task `pid`'s mount namespace. */
  mounts(pid: number): readonly MountInfo[];
  hostname(): string;
  meminfo(): MemInfo;
  /** Time since the container started. */
  uptimeNs(): bigint;
}

const enc = new TextEncoder();

/** Render /proc/<pid>/status. */
export function renderStatus(t: ProcTaskInfo): string {
  return [
    `Name:\t${t.name}`, 'Umask:\t0022', `State:\t${t.state}`, `Tgid:\t${t.pid}`, 'Ngid:\t0', `Pid:\t${t.pid}`,
    `PPid:\t${t.ppid}`, 'TracerPid:\t0', `Uid:\t${t.uid}\t${t.uid}\t${t.uid}\t${t.uid}`,
    `Gid:\t${t.gid}\t${t.gid}\t${t.gid}\t${t.gid}`, `FDSize:\t${Math.max(64, t.fds().length)}`, 'Groups:\t',
    `VmRSS:\t${t.vmRssKb ?? 0} kB`, 'Threads:\t1', '',
  ].join('\n');
}

/** Render a mounts table as /proc/mounts does. */
export function renderMounts(ms: readonly MountInfo[]): string {
  const esc = (s: string) => s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return ms.map((m) => `${esc(m.source)} ${esc(m.target)} ${m.fsType} ${m.options} 0 0\n`).join('');
}

function nulJoined(parts: readonly string[]): string {
  return parts.map((p) => `${p}\0`).join('');
}

/** A read-only snapshot of generated content. */
export class GeneratedFile implements OpenFile {
  readonly filetype = FileType.REGULAR_FILE;
  fdflags: number;
  readonly mode: OpenMode;
  readonly dir: DirHandle | undefined = undefined;
  private off = 0;

  constructor(private readonly node: Inode, private readonly data: Uint8Array, req: OpenRequest) {
    this.fdflags = req.fdflags;
    this.mode = req.mode;
    this.loc = req.loc;
  }
  private readonly loc: OpenRequest['loc'];
  read(max: number): Uint8Array {
    const r = this.pread(max, BigInt(this.off));
    this.off += r.length;
    return r;
  }
  pread(max: number, offset: bigint): Uint8Array {
    if (!this.mode.read) throw E.BADF;
    if (offset < 0n) throw E.INVAL;
    const o = offset > BigInt(this.data.length) ? this.data.length : Number(offset);
    return this.data.subarray(o, Math.min(this.data.length, o + Math.max(0, max)));
  }
  write(): number {
    throw E.BADF;
  }
  pwrite(): number {
    throw E.BADF;
  }
  seek(delta: bigint, whence: number): bigint {
    const base = whence === Whence.SET ? 0n : whence === Whence.CUR ? BigInt(this.off) : whence === Whence.END ? BigInt(this.data.length) : -1n;
    if (base < 0n) throw E.INVAL;
    const n = base + delta;
    if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw E.INVAL;
    this.off = Number(n);
    return n;
  }
  tell(): bigint {
    return BigInt(this.off);
  }
  stat(): Filestat {
    return this.node.stat();
  }
  truncate(): void {
    throw E.INVAL;
  }
  setTimes(): void {
    throw E.PERM;
  }
  sync(): void {}
  readdir(): DirEntry[] {
    throw E.NOTDIR;
  }
  allocate(): void {
    throw E.BADF;
  }
  readable(): boolean {
    return true;
  }
  writable(): boolean {
    return false;
  }
  release(): void {}
  describe(): string {
    return this.loc.path;
  }
}

/** Common parts of procfs inodes. */
abstract class ProcNode extends BaseInode {
  readonly ino: bigint;
  constructor(readonly fs: ProcFs, readonly type: FileTypeValue, readonly mode: number, readonly uid = 0, readonly gid = 0) {
    super();
    this.ino = fs.sb.nextIno();
  }
  get sb(): SuperBlock {
    return this.fs.sb;
  }
  stat(): Filestat {
    const t = this.fs.bootNs;
    return { dev: this.fs.sb.dev, ino: this.ino, filetype: this.type, nlink: this.type === FileType.DIRECTORY ? 2n : 1n, size: 0n, atim: t, mtim: t, ctim: t, mode: this.mode, uid: this.uid, gid: this.gid };
  }
}

/** A generated file. */
class ProcFile extends ProcNode {
  constructor(fs: ProcFs, private readonly gen: (cred: Credentials) => string, mode = 0o444, uid = 0, gid = 0) {
    super(fs, FileType.REGULAR_FILE, mode, uid, gid);
  }
  override open(req: OpenRequest): OpenFile {
    if (req.mode.write) throw E.ACCES;
    return new GeneratedFile(this, enc.encode(this.gen(req.cred)), req);
  }
}

/** A symlink whose target is computed for the caller. */
class ProcLink extends ProcNode {
  constructor(fs: ProcFs, private readonly target: (cred: Credentials) => string) {
    super(fs, FileType.SYMBOLIC_LINK, 0o777);
  }
  override readlink(cred: Credentials): string {
    const t = this.target(cred);
    if (t === '') throw E.NOENT;
    return t;
  }
}

/** A directory with fixed children (plus, for the root, one per task). */
class ProcDir extends ProcNode {
  readonly kids = new Map<string, Inode>();
  constructor(fs: ProcFs, readonly parent: ProcDir | null, uid = 0, gid = 0, private readonly pids = false) {
    super(fs, FileType.DIRECTORY, 0o555, uid, gid);
  }
  override parentDir(): Inode {
    return this.parent ?? this;
  }
  override lookup(name: string): Inode | undefined {
    const k = this.kids.get(name);
    if (k !== undefined || !this.pids) return k;
    if (!/^[1-9][0-9]{0,8}$/.test(name)) return undefined;
    return this.fs.taskDir(Number(name));
  }
  override readdir(after: number, max: number): InodeDirEntry[] {
    const out: InodeDirEntry[] = [];
    let seq = FIRST_SEQ;
    for (const [name, k] of this.kids) {
      if (seq > after && out.length < max) out.push({ name, ino: k.ino, type: k.type, seq });
      seq++;
    }
    if (this.pids) {
      for (const t of this.fs.data.tasks()) {
        const s = 1000 + t.pid;
        if (s <= after) continue;
        if (out.length >= max) break;
        const d = this.fs.taskDir(t.pid);
        if (d !== undefined) out.push({ name: String(t.pid), ino: d.ino, type: FileType.DIRECTORY, seq: s });
      }
    }
    return out;
  }
}

/** A procfs instance over one ProcSource. */
export class ProcFs implements FileSystem {
  readonly sb: SuperBlock;
  readonly root: Inode;
  /** Where the content comes from. */
  readonly data: ProcSource;
  readonly source = 'proc';
  readonly bootNs: bigint;
  private readonly taskDirs = new Map<number, ProcDir>();

  constructor(source: ProcSource, clock: Clock) {
    this.sb = new SuperBlock('proc', clock);
    this.data = source;
    this.bootNs = clock.realtimeNs();
    const root = new ProcDir(this, null, 0, 0, true);
    root.kids.set('self', new ProcLink(this, (c) => (c.pid !== undefined ? String(c.pid) : '')));
    root.kids.set('mounts', new ProcLink(this, () => 'self/mounts'));
    root.kids.set('meminfo', new ProcFile(this, () => {
      const m = source.meminfo();
      const line = (k: string, v: number) => `${`${k}:`.padEnd(16)}${String(v).padStart(8)} kB\n`;
      return line('MemTotal', m.totalKb) + line('MemFree', m.freeKb) + line('MemAvailable', m.availableKb);
    }));
    root.kids.set('uptime', new ProcFile(this, () => {
      const cs = source.uptimeNs() / 10_000_000n;
      return `${cs / 100n}.${String(cs % 100n).padStart(2, '0')} 0.00\n`;
    }));
    const sys = new ProcDir(this, root);
    const kernel = new ProcDir(this, sys);
    kernel.kids.set('hostname', new ProcFile(this, () => `${source.hostname()}\n`));
    sys.kids.set('kernel', kernel);
    root.kids.set('sys', sys);
    this.root = root;
  }

  /** The directory of task `pid`, if it exists (cached while it does). */
  taskDir(pid: number): ProcDir | undefined {
    const t = this.data.task(pid);
    if (t === undefined) {
      this.taskDirs.delete(pid);
      return undefined;
    }
    let d = this.taskDirs.get(pid);
    if (d !== undefined) return d;
    const info = () => this.data.task(pid) ?? t;
    d = new ProcDir(this, this.root as ProcDir, t.uid, t.gid);
    d.kids.set('status', new ProcFile(this, () => renderStatus(info()), 0o444, t.uid, t.gid));
    d.kids.set('cmdline', new ProcFile(this, () => nulJoined(info().cmdline), 0o444, t.uid, t.gid));
    d.kids.set('environ', new ProcFile(this, () => nulJoined(info().environ), 0o400, t.uid, t.gid));
    d.kids.set('mounts', new ProcFile(this, () => renderMounts(this.data.mounts(pid)), 0o444, t.uid, t.gid));
    const fds: FdSource = {
      fd: (cred, n) => (cred.pid === pid && cred.fd !== undefined ? cred.fd(n) : this.data.task(pid)?.fd(n)),
      list: (cred) => (cred.pid === pid && cred.fdList !== undefined ? cred.fdList() : this.data.task(pid)?.fds() ?? []),
    };
    d.kids.set('fd', new FdDir(this.sb, d, fds, t.uid, t.gid));
    this.taskDirs.set(pid, d);
    return d;
  }
}
