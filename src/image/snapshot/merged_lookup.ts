/**
 * Paths in an image's merged layers (`mergeLayers`) before any container
 * exists: `run IMAGE` finds its module there (manifest_run.ts) and `-u`
 * reads /etc/passwd and /etc/group there (cli/run_user.ts). Symlinks are
 * followed inside the merged view only (an absolute target is relative to
 * its root; `..` stops at the root), at most 40 of them, as Linux.
 */
import type { LayerFile } from '../../../kernel/fs/layer_tree.js';
import type { MergedNode } from './snapshot_view.js';

const MAX_SYMLINKS = 40;

/** Look up absolute `path` in the merged view `root`; the node found and its path with symlinks resolved, or undefined if absent. */
export function lookupMerged(root: MergedNode & { kind: 'dir' }, path: string): { node: MergedNode; path: string } | undefined {
  return lookup(root, path, { n: 0 });
}

function lookup(root: MergedNode & { kind: 'dir' }, path: string, hops: { n: number }): { node: MergedNode; path: string } | undefined {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  const stack: string[] = [];
  let cur: MergedNode = root;
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i];
    if (name === '..') {
      stack.pop();
      cur = lookup(root, `/${stack.join('/')}`, hops)?.node ?? root;
      continue;
    }
    if (cur.kind !== 'dir') return undefined;
    const next: MergedNode | undefined = cur.entries.get(name);
    if (!next) return undefined;
    if (next.kind === 'symlink') {
      if (++hops.n > MAX_SYMLINKS) return undefined;
      const target = (next.node as { target: string }).target;
      const base = target.startsWith('/') ? target : `/${[...stack, target].join('/')}`;
      const rest = parts.slice(i + 1).join('/');
      return lookup(root, rest ? `${base}/${rest}` : base, hops);
    }
    stack.push(name);
    cur = next;
  }
  return { node: cur, path: `/${stack.join('/')}` };
}

/** The bytes of a layer file (read now if the layer holds them lazily). */
export function readLayerFile(f: LayerFile): Uint8Array {
  return typeof f.data === 'function' ? f.data(0, f.size) : f.data.subarray(0, f.size);
}
