/**
 * "See inside" a container, Sentry side: what the playground's Sentry
 * worker (sentry_worker.ts) adds to the control plane for one
 * `KernelContainer`:
 * - `containerTree`: the merged root filesystem as the guest sees it (read
 *   through the container's mount namespace), each entry marked with where it
 *   comes from: the private upper, or the index of the image layer (top
 *   first, as the overlay stacks them) that holds it;
 * - `readPath` / `writePath`: a file read or written through the mount
 *   namespace as root (writes land in the upper and are charged to the
 *   container's memory cgroup, as the guest's own are);
 * - `upperTar`: the upper as an OCI layer tar (whiteouts as `.wh.NAME`);
 * - `Tracer`: a bounded ring of system calls (call, arguments, errno,
 *   result, duration) recorded around the container's dispatcher.
 * Every cost here is bounded: entries, bytes and ring size are capped.
 */
import { formatArgs, formatValue } from '../../kernel/platform/strace.js';
import { ERRNO_NAMES } from '../../kernel/errno.js';
import type { LayerDir, LayerTree } from '../../kernel/fs/layer_tree.js';
import { isWhiteout, TmpDir, TmpFile, TmpSymlink, type TmpFs, type TmpNode } from '../../kernel/fs/tmpfs.js';
import type { Dispatcher } from '../../kernel/syscalls/dispatch.js';
import { FileType, OFlags } from '../../kernel/vfs/types.js';
import type { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import { SETUP, mkdirs } from '../../src/runtime/root_setup.js';

/** One entry of the container's tree. */
export interface TreeEntry {
  path: string;
  kind: 'dir' | 'file' | 'symlink' | 'other';
  size: number;
  /** 'upper', or the index of the image layer holding it (0 = top). */
  from: 'upper' | number;
}

/** Most entries `containerTree` returns (the rest are counted, not listed). */
export const TREE_LIMIT = 5000;
/** Largest file `readPath` returns. */
export const READ_LIMIT = 64 * 1024 * 1024;
/** Paths not walked: the kernel's own filesystems. */
const SKIP = new Set(['/proc', '/sys', '/dev']);

/** The topmost layer holding `path` (by plain names; undefined if none does). */
function layerOf(lowers: readonly LayerTree[], parts: readonly string[]): number | undefined {
  outer: for (let i = 0; i < lowers.length; i++) {
    let d: LayerDir = lowers[i]!.root;
    for (let k = 0; k < parts.length; k++) {
      const n = d.entries.get(parts[k]!);
      if (n === undefined) continue outer;
      if (n.kind === 'whiteout') return undefined;
      if (k === parts.length - 1) return i;
      if (n.kind !== 'dir') continue outer;
      d = n;
    }
  }
  return undefined;
}

/** The upper node at `parts`, if the upper holds one (whiteouts excluded). */
function upperNode(upper: TmpFs, parts: readonly string[]): TmpNode | undefined {
  let d: TmpNode = upper.root;
  for (const p of parts) {
    if (!(d instanceof TmpDir)) return undefined;
    const n = d.lookup(p) as TmpNode | undefined;
    if (n === undefined || isWhiteout(n)) return undefined;
    d = n;
  }
  return d;
}

/** The merged tree of the container's root, breadth first, at most `limit` entries; `more` counts the rest. */
export function containerTree(ns: MountNamespace, upper: TmpFs, lowers: readonly LayerTree[], limit = TREE_LIMIT): { entries: TreeEntry[]; more: number } {
  const entries: TreeEntry[] = [];
  let more = 0;
  const queue: string[] = [''];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    let names: { name: string; filetype: number }[];
    const f = ns.pathOps.open(SETUP, ns.rootHandle(), dir || '/', {
      oflags: OFlags.DIRECTORY, fdflags: 0, followSymlinks: false, mode: { read: true, write: false },
    });
    try {
      names = f.readdir(0n).filter((e) => e.name !== '.' && e.name !== '..');
    } finally {
      f.release();
    }
    names.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of names) {
      const path = `${dir}/${e.name}`;
      if (entries.length >= limit) {
        more++;
        continue;
      }
      const parts = path.split('/').slice(1);
      const kind = e.filetype === FileType.DIRECTORY ? 'dir' : e.filetype === FileType.REGULAR_FILE ? 'file' : e.filetype === FileType.SYMBOLIC_LINK ? 'symlink' : 'other';
      let size = 0;
      try {
        size = Number(ns.pathOps.stat(SETUP, ns.rootHandle(), path, false).size);
      } catch { /* gone meanwhile */ }
      const up = upperNode(upper, parts);
      const from = up !== undefined && !(up instanceof TmpDir && layerOf(lowers, parts) !== undefined) ? 'upper' : layerOf(lowers, parts) ?? 'upper';
      entries.push({ path, kind, size, from });
      if (kind === 'dir' && !SKIP.has(path)) queue.push(path);
    }
  }
  return { entries, more };
}

/** Read the file at `path` as root through the container's mount namespace (at most READ_LIMIT bytes). */
export function readPath(ns: MountNamespace, path: string): Uint8Array {
  const f = ns.pathOps.open(SETUP, ns.rootHandle(), path, { oflags: 0, fdflags: 0, followSymlinks: true, mode: { read: true, write: false } });
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const b = f.read(Math.min(1 << 20, READ_LIMIT - total));
      if (b.byteLength === 0 || total >= READ_LIMIT) break;
      chunks.push(b.slice());
      total += b.byteLength;
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.byteLength;
    }
    return out;
  } finally {
    f.release();
  }
}

/** Write `data` to `path` as root (parents made), through the mount namespace: the bytes land in the upper and are charged. */
export function writePath(ns: MountNamespace, path: string, data: Uint8Array): void {
  const dir = path.slice(0, path.lastIndexOf('/'));
  if (dir) mkdirs(ns, dir);
  const f = ns.pathOps.open(SETUP, ns.rootHandle(), path, {
    oflags: OFlags.CREAT | OFlags.TRUNC, fdflags: 0, followSymlinks: true, mode: { read: false, write: true },
  });
  try {
    for (let off = 0; off < data.byteLength;) off += f.write(data.subarray(off));
  } finally {
    f.release();
  }
}

/** A ustar header for `name` (paths over 100 bytes go in the prefix field). */
function tarHeader(name: string, size: number, type: '0' | '2' | '5', mode: number, mtimeS: number, link = ''): Uint8Array {
  const h = new Uint8Array(512);
  const enc = new TextEncoder();
  const put = (s: string, off: number, len: number) => h.set(enc.encode(s).subarray(0, len), off);
  const oct = (n: number, off: number, len: number) => put(`${n.toString(8).padStart(len - 1, '0')}\0`, off, len);
  let prefix = '';
  let base = name;
  if (enc.encode(name).byteLength > 100) {
    const i = name.lastIndexOf('/', 154);
    prefix = name.slice(0, i);
    base = name.slice(i + 1);
  }
  put(base, 0, 100);
  oct(mode & 0o7777, 100, 8);
  oct(0, 108, 8);
  oct(0, 116, 8);
  oct(size, 124, 12);
  oct(Math.max(0, Math.floor(mtimeS)), 136, 12);
  h.fill(0x20, 148, 156);
  h[156] = type.charCodeAt(0);
  put(link, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

/** The upper as an uncompressed OCI layer tar: its directories, files and symlinks; whiteouts as `.wh.NAME`, opaque directories marked. Capped at READ_LIMIT bytes of file data. */
export function upperTar(upper: TmpFs): Uint8Array {
  const parts: Uint8Array[] = [];
  let budget = READ_LIMIT;
  const walk = (dir: TmpDir, prefix: string) => {
    const kids = dir.entries.after(0, Number.MAX_SAFE_INTEGER).map((e) => [e.name, e.value] as [string, TmpNode]);
    kids.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    if (dir.opaque && prefix) parts.push(tarHeader(`${prefix}.wh..wh..opq`, 0, '0', 0, 0));
    for (const [name, node] of kids) {
      const path = `${prefix}${name}`;
      const mt = Number(node.mtim / 1_000_000_000n);
      if (isWhiteout(node)) parts.push(tarHeader(`${prefix}.wh.${name}`, 0, '0', 0, mt));
      else if (node instanceof TmpDir) {
        parts.push(tarHeader(`${path}/`, 0, '5', node.mode, mt));
        walk(node, `${path}/`);
      } else if (node instanceof TmpSymlink) parts.push(tarHeader(path, 0, '2', 0o777, mt, node.target));
      else if (node instanceof TmpFile) {
        const size = Math.min(node.statSize(), Math.max(0, budget));
        budget -= size;
        parts.push(tarHeader(path, size, '0', node.mode, mt));
        const data = node.data.read(0, size);
        parts.push(data.slice(), new Uint8Array((512 - (size % 512)) % 512));
      }
    }
  };
  walk(upper.root, '');
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** One traced system call. */
export interface TraceEntry {
  seq: number;
  pid: number;
  call: string;
  args: string;
  errno: string;
  result: string;
  /** Duration in microseconds. */
  us: number;
  /** Milliseconds since the container was created. */
  at: number;
}

/** Calls kept per container. */
export const TRACE_RING = 2000;

/** A bounded ring of the container's system calls, recorded around its dispatcher (blocked attempts are not recorded; their retry is). */
export class Tracer {
  private readonly ring: TraceEntry[] = [];
  private seq = 0;
  enabled = true;

  constructor(dispatcher: Dispatcher, now: () => number) {
    const t0 = now();
    const attempt = dispatcher.attempt.bind(dispatcher);
    dispatcher.attempt = (task, entry, args, out) => {
      if (!this.enabled) return attempt(task, entry, args, out);
      const start = now();
      // formatted before the call: a handler may consume its arguments' buffers
      const shown = formatArgs(entry.name, args);
      const r = attempt(task, entry, args, out);
      if (r.block !== null) return r;
      const end = now();
      const e: TraceEntry = {
        seq: ++this.seq, pid: task.pid, call: entry.name, args: shown,
        errno: ERRNO_NAMES[r.errno] ?? String(r.errno),
        result: r.errno === 0 && r.value !== undefined ? formatValue(r.value, 1) : '',
        us: Math.round((end - start) * 10_000) / 10, at: Math.round(start - t0),
      };
      if (this.ring.length >= TRACE_RING) this.ring.shift();
      this.ring.push(e);
      return r;
    };
  }

  /** Entries after sequence number `since` (at most TRACE_RING) and the last sequence number. */
  since(since: number): { last: number; entries: TraceEntry[] } {
    const i = this.ring.findIndex((e) => e.seq > since);
    return { last: this.seq, entries: i < 0 ? [] : this.ring.slice(i) };
  }
}
