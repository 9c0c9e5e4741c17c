/**
 * Facts about a LayerTree that need a walk of the whole tree: how many
 * names each file has (nlink) and every path of a hard-linked file. Trees
 * are immutable, so the answer is computed once per tree and cached by
 * tree identity (a WeakMap: derived data, never a mutation of the tree).
 */
import type { LayerDir, LayerNode, LayerTree } from './layer_tree.js';

/** Per-tree index of non-directory nodes. */
export interface LayerIndex {
  /** Number of names of each file/symlink node (absent = 1). */
  readonly nlink: Map<LayerNode, number>;
  /** Every path (relative, no leading slash) of nodes with more than one name. */
  readonly paths: Map<LayerNode, string[]>;
}

const cache = new WeakMap<LayerTree, LayerIndex>();
const dirCache = new WeakMap<LayerDir, number>();

/** The index of `tree` (built on first use). */
export function layerIndex(tree: LayerTree): LayerIndex {
  let idx = cache.get(tree);
  if (idx !== undefined) return idx;
  const nlink = new Map<LayerNode, number>();
  const all = new Map<LayerNode, string[]>();
  // Iterative: layer trees can nest deeper than the JS stack.
  const todo: [LayerDir, string][] = [[tree.root, '']];
  while (todo.length > 0) {
    const [dir, prefix] = todo.pop()!;
    for (const [name, node] of dir.entries) {
      const p = prefix === '' ? name : `${prefix}/${name}`;
      if (node.kind === 'dir') todo.push([node, p]);
      else if (node.kind !== 'whiteout') {
        nlink.set(node, (nlink.get(node) ?? 0) + 1);
        const ps = all.get(node);
        if (ps === undefined) all.set(node, [p]);
        else ps.push(p);
      }
    }
  }
  const paths = new Map<LayerNode, string[]>();
  for (const [node, ps] of all) if (ps.length > 1) paths.set(node, ps);
  for (const [node, n] of nlink) if (n === 1) nlink.delete(node);
  idx = { nlink, paths };
  cache.set(tree, idx);
  return idx;
}

/** nlink of a layer directory: 2 plus its subdirectories (cached). */
export function layerDirNlink(dir: LayerDir): number {
  let n = dirCache.get(dir);
  if (n === undefined) {
    n = 2;
    for (const c of dir.entries.values()) if (c.kind === 'dir') n++;
    dirCache.set(dir, n);
  }
  return n;
}

/** Bytes `length` at `offset` of a layer file (a view when the data is in memory). */
export function layerFileRead(data: Uint8Array | ((offset: number, length: number) => Uint8Array), size: number, pos: number, max: number): Uint8Array {
  if (pos >= size || max <= 0) return new Uint8Array(0);
  const n = Math.min(max, size - pos);
  return typeof data === 'function' ? data(pos, n) : data.subarray(pos, pos + n);
}
