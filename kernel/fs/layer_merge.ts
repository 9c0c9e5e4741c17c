/**
 * The one place that says what a stack of image layers shows at a name:
 * the overlay's rules, used by the kernel overlay (`overlay_node.ts`
 * mergeEntries), by `src/image` to find files in an image before any
 * container exists (run IMAGE's module, `-u`'s /etc/passwd, exec in a
 * detached container) and by the layer unpacker (lower-layer symlinks and
 * hard-link targets).
 *
 * Rules, walking the layers top first: a whiteout hides the name in every
 * layer below it; a non-directory ends the name's stack; a run of
 * directories stacks (their children merge), until an opaque directory,
 * which hides everything below it. Symlinks are never followed here.
 *
 * Layer stacks are always given top first, as the overlay takes its lowers.
 */
import type { LayerDir, LayerNode, LayerTree } from './layer_tree.js';

/** A real (non-whiteout) layer node. */
export type RealLayerNode = Exclude<LayerNode, { kind: 'whiteout' }>;

/**
 * What the layers show at one name. `upper` is the overlay's private inode
 * when it has one (always null for plain layer stacks).
 */
export interface LayerStack<U = never> {
  upper: U | null;
  /** Layer nodes at this name, top first: one non-directory, or a run of directories. */
  lowers: RealLayerNode[];
  /** Layer index of each of `lowers` (as numbered by the caller). */
  layers: number[];
  /** A layer entry lies at this name (removing it needs a whiteout). */
  covers: boolean;
  /** Nothing lower may add to this name (a non-directory, an opaque directory or a whiteout was met). */
  closed: boolean;
}

/**
 * Apply the entry `n` that one more (lower) layer has at a name to that
 * name's stack `e` (undefined: nothing above showed it). Returns the stack,
 * or null when `n` is a whiteout hiding the name from here down.
 */
export function stackLayerEntry<U>(e: LayerStack<U> | undefined, n: LayerNode, layer: number): LayerStack<U> | null {
  if (n.kind === 'whiteout') {
    if (e === undefined) return null;
    e.closed = true;
    return e;
  }
  if (e === undefined) return { upper: null, lowers: [n], layers: [layer], covers: true, closed: n.kind !== 'dir' || n.opaque === true };
  e.covers = true;
  if (e.closed) return e;
  if (n.kind === 'dir' && (e.lowers.length > 0 ? e.lowers[0].kind === 'dir' : true)) {
    e.lowers.push(n);
    e.layers.push(layer);
    if (n.opaque === true) e.closed = true;
  } else e.closed = true;
  return e;
}

/**
 * Merge the children of the directories `dirs` (one name's stack, top
 * first; `layers[i]` numbers `dirs[i]`) into `out`, skipping the names in
 * `hidden` and adding the names a whiteout hides to it. `out` may already
 * hold entries from above (the overlay's upper).
 */
export function mergeLayerChildren<U>(
  dirs: readonly RealLayerNode[], layers: readonly number[],
  out: Map<string, LayerStack<U>> = new Map(), hidden: Set<string> = new Set(),
): Map<string, LayerStack<U>> {
  for (let li = 0; li < dirs.length; li++) {
    const dir = dirs[li] as LayerDir;
    for (const [name, n] of dir.entries) {
      if (hidden.has(name)) continue;
      const e = out.get(name);
      const r = stackLayerEntry(e, n, layers[li]);
      if (r === null) hidden.add(name);
      else if (e === undefined) out.set(name, r);
    }
  }
  return out;
}

/** What the directories `dirs` (top first) show at the one child `name`, or undefined if nothing. */
export function lookupLayerChild(dirs: readonly RealLayerNode[], layers: readonly number[], name: string): LayerStack | undefined {
  let e: LayerStack | undefined;
  for (let li = 0; li < dirs.length; li++) {
    const n = (dirs[li] as LayerDir).entries.get(name);
    if (n === undefined) continue;
    const r = stackLayerEntry(e, n, layers[li]);
    if (r === null) return undefined;
    e = r;
    if (e.closed) break;
  }
  return e;
}

/** The stack at the root of `trees` (top first): each root down to the first opaque one. */
export function layerRootStack(trees: readonly LayerTree[]): LayerStack {
  const e: LayerStack = { upper: null, lowers: [], layers: [], covers: false, closed: false };
  for (let i = 0; i < trees.length; i++) {
    e.lowers.push(trees[i].root);
    e.layers.push(i);
    if (trees[i].root.opaque === true) break;
  }
  return e;
}

/**
 * What `trees` (top first) show at the path `comps` (root-relative
 * components, no `.` or `..`), without following symlinks: the stack at
 * that name (`lowers[0]` is the node shown), or undefined if absent.
 */
export function lookupLayers(trees: readonly LayerTree[], comps: readonly string[]): LayerStack | undefined {
  let e: LayerStack | undefined = layerRootStack(trees);
  if (e.lowers.length === 0) return undefined;
  for (const c of comps) {
    if (e.lowers[0].kind !== 'dir') return undefined;
    e = lookupLayerChild(e.lowers, e.layers, c);
    if (e === undefined) return undefined;
  }
  return e;
}
