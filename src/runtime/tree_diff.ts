/**
 * `diff` of a container's filesystem: a snapshot of every path (inode
 * number, type, size, mtime) taken when the container is created, compared
 * with the tree now. Added, changed and deleted paths come out as podman
 * prints them: a changed directory is listed when something below it
 * changed, and a deleted directory hides its deleted children.
 */
import { FileType, OFlags, type Credentials } from '../../kernel/vfs/types.js';
import type { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import type { DiffEntry } from '../host/protocol.js';

const ROOT: Credentials = { uid: 0, gid: 0 };

/** One path's identity for diffing. */
interface PathMark {
  ino: bigint;
  type: number;
  size: bigint;
  mtim: bigint;
}

/** Every path under `/` (pseudo filesystems /proc, /sys, /dev skipped). */
export type TreeSnapshot = Map<string, PathMark>;

const SKIP = new Set(['/proc', '/sys', '/dev']);

/** Walk the namespace from `/`. */
export function snapshotTree(ns: MountNamespace): TreeSnapshot {
  const out: TreeSnapshot = new Map();
  const walk = (dir: string) => {
    let f;
    try {
      f = ns.pathOps.open(ROOT, ns.rootHandle(), dir, {
        oflags: OFlags.DIRECTORY, fdflags: 0, followSymlinks: false, mode: { read: true, write: false },
      });
    } catch {
      return;
    }
    const names: string[] = [];
    try {
      for (let cookie = 0n; ;) {
        const batch = f.readdir(cookie);
        if (batch.length === 0) break;
        for (const e of batch) {
          cookie = e.next;
          if (e.name !== '.' && e.name !== '..') names.push(e.name);
        }
      }
    } finally {
      f.release();
    }
    for (const name of names) {
      const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (SKIP.has(p)) continue;
      let st;
      try {
        st = ns.pathOps.stat(ROOT, ns.rootHandle(), p, false);
      } catch {
        continue;
      }
      out.set(p, { ino: st.ino, type: st.filetype, size: st.size, mtim: st.mtim });
      if (st.filetype === FileType.DIRECTORY) walk(p);
    }
  };
  walk('/');
  return out;
}

/** Differences from `before` to `after`, sorted by path. */
export function diffTrees(before: TreeSnapshot, after: TreeSnapshot): DiffEntry[] {
  const out = new Map<string, DiffEntry['kind']>();
  const markParents = (p: string) => {
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
      const parent = p.slice(0, i);
      if (!out.has(parent) && before.has(parent) && after.has(parent)) out.set(parent, 'C');
    }
  };
  for (const [p, a] of after) {
    const b = before.get(p);
    if (!b) {
      out.set(p, 'A');
      markParents(p);
    } else if (b.ino !== a.ino || b.type !== a.type || b.size !== a.size || b.mtim !== a.mtim) {
      if (a.type !== FileType.DIRECTORY || b.type !== FileType.DIRECTORY) {
        out.set(p, 'C');
        markParents(p);
      }
    }
  }
  for (const p of before.keys()) {
    if (after.has(p)) continue;
    const parent = p.slice(0, p.lastIndexOf('/'));
    if (parent && !after.has(parent) && before.has(parent)) continue; // inside a deleted directory
    out.set(p, 'D');
    markParents(p);
  }
  return [...out].map(([path, kind]) => ({ kind, path })).sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
