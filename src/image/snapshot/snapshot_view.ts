/**
 * The eager merged view of a stack of layer trees, as an overlay mount
 * shows it, built with the kernel overlay's own layer rules
 * (`kernel/fs/layer_merge.ts`): upper entries replace lower ones,
 * whiteouts delete, opaque directories hide everything below them. Used by
 * tests (the umoci cross-check) and listings that want every path at once;
 * single lookups use `merged_lookup.ts`, which merges nothing ahead.
 */
import { layerRootStack, mergeLayerChildren, type LayerStack } from '../../../kernel/fs/layer_merge.js';
import type { LayerDir, LayerNode, LayerTree } from '../../../kernel/fs/layer_tree.js';

/** A node of the merged view: the winning layer's node, and for directories the merged children. */
export type MergedNode =
  | { kind: 'dir'; node: LayerDir; entries: Map<string, MergedNode> }
  | { kind: 'file' | 'symlink'; node: Exclude<LayerNode, LayerDir | { kind: 'whiteout' }> };

/** Merge `lowers` (top first, as the overlay takes them) into one view rooted at a directory. */
export function mergeLayers(lowers: readonly LayerTree[]): MergedNode & { kind: 'dir' } {
  const root = layerRootStack(lowers);
  if (root.lowers.length === 0) return { kind: 'dir', node: emptyRoot(), entries: new Map() };
  return build(root);
}

function emptyRoot(): LayerDir {
  return { kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeNs: 0n, entries: new Map() };
}

function build(dir: LayerStack): MergedNode & { kind: 'dir' } {
  const out: MergedNode & { kind: 'dir' } = { kind: 'dir', node: dir.lowers[0] as LayerDir, entries: new Map() };
  for (const [name, e] of mergeLayerChildren<never>(dir.lowers, dir.layers)) {
    const n = e.lowers[0];
    out.entries.set(name, n.kind === 'dir' ? build(e) : { kind: n.kind, node: n } as MergedNode);
  }
  return out;
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
