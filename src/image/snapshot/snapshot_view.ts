/**
 * The merged view of a stack of layer trees, as an overlay mount shows it:
 * upper entries replace lower ones, whiteouts delete, opaque directories
 * hide everything below them. Used by tests (the umoci cross-check), by
 * `inspect`-style listings and by `save` when a flat tree is wanted. The
 * kernel's overlay does the same lazily; this is the eager reference.
 */
import type { LayerDir, LayerNode, LayerTree } from '../../../kernel/fs/layer_tree.js';

/** A node of the merged view: the winning layer's node, and for directories the merged children. */
export type MergedNode =
  | { kind: 'dir'; node: LayerDir; entries: Map<string, MergedNode> }
  | { kind: 'file' | 'symlink'; node: Exclude<LayerNode, LayerDir | { kind: 'whiteout' }> };

/** Merge `trees` (bottom first) into one view rooted at a directory. */
export function mergeLayers(trees: readonly LayerTree[]): MergedNode & { kind: 'dir' } {
  const root: MergedNode & { kind: 'dir' } = { kind: 'dir', node: trees[0]?.root ?? emptyRoot(), entries: new Map() };
  for (const t of trees) apply(root, t.root);
  return root;
}

function emptyRoot(): LayerDir {
  return { kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeNs: 0n, entries: new Map() };
}

function apply(into: MergedNode & { kind: 'dir' }, dir: LayerDir): void {
  if (dir.opaque) into.entries.clear();
  into.node = dir;
  for (const [name, n] of dir.entries) {
    if (n.kind === 'whiteout') {
      into.entries.delete(name);
    } else if (n.kind === 'dir') {
      let child = into.entries.get(name);
      if (child?.kind !== 'dir') {
        child = { kind: 'dir', node: n, entries: new Map() };
        into.entries.set(name, child);
      }
      apply(child, n);
    } else {
      into.entries.set(name, { kind: n.kind, node: n } as MergedNode);
    }
  }
}

/** Every path of a merged view (`/`-separated, no leading slash), sorted, with its node. */
export function flattenMerged(root: MergedNode & { kind: 'dir' }): Map<string, MergedNode> {
  const out = new Map<string, MergedNode>();
  const walk = (d: MergedNode & { kind: 'dir' }, prefix: string): void => {
    for (const name of [...d.entries.keys()].sort()) {
      const n = d.entries.get(name)!;
      const p = prefix ? `${prefix}/${name}` : name;
      out.set(p, n);
      if (n.kind === 'dir') walk(n, p);
    }
  };
  walk(root, '');
  return out;
}
