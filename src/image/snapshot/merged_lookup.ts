/**
 * Paths in an image's layers before any container exists: `run IMAGE`
 * finds its module there (run/manifest_run.ts), `-u` reads /etc/passwd and
 * /etc/group there (cli/run_user.ts) and `exec` in a detached container
 * finds its module (runtime/detached/image_root.ts). The layer rules are
 * the kernel overlay's own (`kernel/fs/layer_merge.ts`); this adds only
 * symlink resolution inside the image (an absolute target is relative to
 * its root; `..` stops at the root), at most 40 symlinks, as Linux.
 * Layers are given top first, as the overlay takes them.
 */
import { layerRootStack, lookupLayerChild, type LayerStack, type RealLayerNode } from '../../../kernel/fs/layer_merge.js';
import type { LayerFile, LayerTree } from '../../../kernel/fs/layer_tree.js';

const MAX_SYMLINKS = 40;

/** What a merged lookup found: the node shown and its path with symlinks resolved. */
export interface MergedHit {
  node: RealLayerNode;
  path: string;
}

/** Look up absolute `path` in the layers `lowers` (top first), following symlinks inside them; undefined if absent. */
export function lookupMerged(lowers: readonly LayerTree[], path: string): MergedHit | undefined {
  const root = layerRootStack(lowers);
  if (root.lowers.length === 0) return undefined;
  return lookup(root, path, { n: 0 });
}

function lookup(root: LayerStack, path: string, hops: { n: number }): MergedHit | undefined {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  const names: string[] = [];
  const stacks: LayerStack[] = [root];
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i];
    if (name === '..') {
      if (names.length > 0) {
        names.pop();
        stacks.pop();
      }
      continue;
    }
    const cur = stacks[stacks.length - 1];
    if (cur.lowers[0].kind !== 'dir') return undefined;
    const next = lookupLayerChild(cur.lowers, cur.layers, name);
    if (next === undefined) return undefined;
    const node = next.lowers[0];
    if (node.kind === 'symlink') {
      if (++hops.n > MAX_SYMLINKS) return undefined;
      const base = node.target.startsWith('/') ? node.target : `/${[...names, node.target].join('/')}`;
      const rest = parts.slice(i + 1).join('/');
      return lookup(root, rest ? `${base}/${rest}` : base, hops);
    }
    names.push(name);
    stacks.push(next);
  }
  return { node: stacks[stacks.length - 1].lowers[0], path: `/${names.join('/')}` };
}

/** The bytes of a layer file (read now if the layer holds them lazily). */
export function readLayerFile(f: LayerFile): Uint8Array {
  return typeof f.data === 'function' ? f.data(0, f.size) : f.data.subarray(0, f.size);
}
