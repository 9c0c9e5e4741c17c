/**
 * procfs: `/proc`, generated from a `ProcSource` that the task layer
 * implements, on the kernfs base (kernfs.ts). Content is produced when a file is opened (a snapshot, as
 * Linux's seq files per read) and stat reports size 0. Pids are those of
 * the caller's pid namespace; `/proc/self` is a symlink to the caller's
 * pid; `/proc/<pid>/fd/N` are magic links to that task's open files.
 */
import type { Inode, InodeDirEntry } from '../vfs/inode.js';
import type { MountInfo } from '../vfs/mount_ns.js';
import type { Clock } from '../vfs/superblock.js';
import { type Credentials, FileType, type OpenFile } from '../vfs/types.js';
import { FdDir, type FdSource } from './fd_link.js';
import { KernfsDir, KernfsFile, KernfsFs, KernfsSymlink } from './kernfs.js';

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

/** The root of /proc: fixed entries, then one directory per visible task. */
class ProcRoot extends KernfsDir {
  constructor(private readonly fs: ProcFs, fill: (root: ProcRoot) => void) {
    super(fs, null);
    // made when /proc is first looked in: a container that never opens it does not pay for its inodes
    this.fillLater(() => fill(this));
  }
  protected override lookupDynamic(name: string): Inode | undefined {
    if (!/^[1-9][0-9]{0,8}$/.test(name)) return undefined;
    return this.fs.taskDir(Number(name));
  }
  protected override readdirDynamic(after: number, max: number, _cred: Credentials, out: InodeDirEntry[]): void {
    for (const t of this.fs.data.tasks()) {
      const s = 1000 + t.pid;
      if (s <= after) continue;
      if (out.length >= max) break;
      const d = this.fs.taskDir(t.pid);
      if (d !== undefined) out.push({ name: String(t.pid), ino: d.ino, type: FileType.DIRECTORY, seq: s });
    }
  }
}

/** A procfs instance over one ProcSource. */
export class ProcFs extends KernfsFs {
  readonly root: KernfsDir;
  /** Where the content comes from. */
  readonly data: ProcSource;
  private readonly taskDirs = new Map<number, KernfsDir>();

  constructor(source: ProcSource, clock: Clock) {
    super('proc', 'proc', clock);
    this.data = source;
    const root = new ProcRoot(this, (root) => {
      root.kids.set('self', new KernfsSymlink(this, (c) => (c.pid !== undefined ? String(c.pid) : '')));
      root.kids.set('mounts', new KernfsSymlink(this, () => 'self/mounts'));
      root.kids.set('meminfo', new KernfsFile(this, () => {
        const m = source.meminfo();
        const line = (k: string, v: number) => `${`${k}:`.padEnd(16)}${String(v).padStart(8)} kB\n`;
        return line('MemTotal', m.totalKb) + line('MemFree', m.freeKb) + line('MemAvailable', m.availableKb);
      }));
      root.kids.set('uptime', new KernfsFile(this, () => {
        const cs = source.uptimeNs() / 10_000_000n;
        return `${cs / 100n}.${String(cs % 100n).padStart(2, '0')} 0.00\n`;
      }));
      const sys = new KernfsDir(this, root);
      const kernel = new KernfsDir(this, sys);
      kernel.kids.set('hostname', new KernfsFile(this, () => `${source.hostname()}\n`));
      sys.kids.set('kernel', kernel);
      root.kids.set('sys', sys);
    });
    this.root = root;
  }

  /** The directory of task `pid`, if it exists (cached while it does). */
  taskDir(pid: number): KernfsDir | undefined {
    const t = this.data.task(pid);
    if (t === undefined) {
      this.taskDirs.delete(pid);
      return undefined;
    }
    let d = this.taskDirs.get(pid);
    if (d !== undefined) return d;
    const info = () => this.data.task(pid) ?? t;
    d = new KernfsDir(this, this.root, t.uid, t.gid);
    d.kids.set('status', new KernfsFile(this, () => renderStatus(info()), 0o444, t.uid, t.gid));
    d.kids.set('cmdline', new KernfsFile(this, () => nulJoined(info().cmdline), 0o444, t.uid, t.gid));
    d.kids.set('environ', new KernfsFile(this, () => nulJoined(info().environ), 0o400, t.uid, t.gid));
    d.kids.set('mounts', new KernfsFile(this, () => renderMounts(this.data.mounts(pid)), 0o444, t.uid, t.gid));
    const fds: FdSource = {
      fd: (cred, n) => (cred.pid === pid && cred.fd !== undefined ? cred.fd(n) : this.data.task(pid)?.fd(n)),
      list: (cred) => (cred.pid === pid && cred.fdList !== undefined ? cred.fdList() : this.data.task(pid)?.fds() ?? []),
    };
    d.kids.set('fd', new FdDir(this.sb, d, fds, t.uid, t.gid));
    this.taskDirs.set(pid, d);
    return d;
  }
}
