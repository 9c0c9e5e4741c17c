/**
 * A container's private upper layer (the overlay's tmpfs) as the entries of
 * an OCI layer tar: files, directories, symlinks and hard links with their
 * modes and owners, a deleted lower path as a `.wh.NAME` whiteout, an
 * opaque directory with `.wh..wh..opq` in it (the OCI image spec's
 * changeset). What the runtime itself seeded at creation (mount points,
 * /etc/hostname), given as the `baseline`, is left out while unchanged, and
 * /proc, /sys and /dev never go in. Entries come parents first, siblings
 * by name, so the same upper gives the same tar. Isomorphic (no node:*): it
 * runs where the upper lives (the inline runtime or the Sentry).
 */
import { isWhiteout, TmpDir, TmpFile, TmpSymlink, type TmpFs, type TmpNode } from '../../../kernel/fs/tmpfs.js';
import type { UpperBaseline } from '../../runtime/tree_diff.js';
import type { TarEntry } from './tar_writer.js';

/** Options of {@link upperEntries}. */
export interface UpperEntriesOptions {
  /** What the runtime put in the upper at creation (`upperBaseline`): left out while unchanged. */
  baseline?: UpperBaseline;
  /** Every mtime, in seconds (for reproducible builds); default: each node's own. */
  mtime?: number;
}

/** Top-level pseudo-filesystem mount points: never part of a layer. */
const SKIP = new Set(['proc', 'sys', 'dev']);

function sortedChildren(dir: TmpDir): [string, TmpNode][] {
  const out = dir.entries.after(0, Number.MAX_SAFE_INTEGER).map((e) => [e.name, e.value] as [string, TmpNode]);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The layer entries of `upper` (see the module comment). */
export function upperEntries(upper: TmpFs, opts: UpperEntriesOptions = {}): TarEntry[] {
  const out: TarEntry[] = [];
  const firstName = new Map<TmpNode, string>();
  const time = (n: TmpNode): number => opts.mtime ?? Number(n.mtim / 1_000_000_000n);
  const meta = (n: TmpNode) => ({ mode: n.mode & 0o7777, uid: n.uid, gid: n.gid, mtime: time(n) });
  const unchanged = (path: string, n: TmpNode): boolean => {
    const b = opts.baseline?.get(`/${path}`);
    return b !== undefined && b.node === n && b.mtim === n.mtim && b.size === n.statSize() && !(n instanceof TmpDir && n.opaque);
  };
  // a directory's own entry is written only once something inside it (or itself) is
  const walk = (dir: TmpDir, prefix: string, pending: (() => void)[]): void => {
    for (const [name, node] of sortedChildren(dir)) {
      if (prefix === '' && SKIP.has(name)) continue;
      const path = prefix === '' ? name : `${prefix}/${name}`;
      const flush = () => {
        for (const p of pending.splice(0)) p();
      };
      if (isWhiteout(node)) {
        flush();
        out.push({ path: prefix === '' ? `.wh.${name}` : `${prefix}/.wh.${name}`, type: 'file', mode: 0, uid: 0, gid: 0, mtime: opts.mtime ?? 0 });
        continue;
      }
      if (node instanceof TmpDir) {
        const self = () => {
          out.push({ path, type: 'dir', ...meta(node) });
          if (node.opaque) out.push({ path: `${path}/.wh..wh..opq`, type: 'file', mode: 0, uid: 0, gid: 0, mtime: opts.mtime ?? 0 });
        };
        if (unchanged(path, node)) walk(node, path, [...pending, self]);
        else {
          flush();
          self();
          walk(node, path, []);
        }
        continue;
      }
      if (unchanged(path, node)) continue;
      flush();
      const first = firstName.get(node);
      if (first !== undefined) {
        out.push({ path, type: 'link', ...meta(node), linkname: first });
        continue;
      }
      if (node.nlink > 1) firstName.set(node, path);
      if (node instanceof TmpFile) out.push({ path, type: 'file', ...meta(node), data: node.data.read(0, node.data.size) });
      else if (node instanceof TmpSymlink) out.push({ path, type: 'symlink', ...meta(node), linkname: node.target });
      // other node kinds (devices, sockets) do not go into an image layer
    }
  };
  walk(upper.root, '', []);
  return out;
}
