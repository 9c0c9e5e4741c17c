/**
 * `diff` of a container: what its private upper layer holds, compared with
 * the lower layers, as `podman diff` prints it. A path in the upper is
 * added (A) when no lower has it, changed (C) when one does; a whiteout (or
 * a seeded file that is gone) is a deletion (D). What the runtime itself
 * put in the upper at creation (mount points, /etc/hostname, seeded files)
 * is the baseline and shows only once the guest changes it. Parents of a
 * change that exist below are listed as changed; children of an added or
 * deleted directory are listed too for additions, not for deletions.
 * Only the upper is walked, so the cost follows what the guest wrote, not
 * the image size.
 */
import type { LayerDir, LayerNode, LayerTree } from '../../kernel/fs/layer_tree.js';
import { isWhiteout, TmpDir, type TmpFs, type TmpNode } from '../../kernel/fs/tmpfs.js';
import type { DiffEntry } from '../host/protocol.js';

/** Identity of one upper path at a point in time. */
interface Mark {
  node: TmpNode;
  mtim: bigint;
  size: number;
}

/** The upper's content when the container was created. */
export type UpperBaseline = Map<string, Mark>;

/** Pseudo-filesystem mount points: never part of a diff. */
const SKIP = new Set(['/proc', '/sys', '/dev']);

function children(dir: TmpDir): [string, TmpNode][] {
  return dir.entries.after(0, Number.MAX_SAFE_INTEGER).map((e) => [e.name, e.value] as [string, TmpNode]);
}

function mark(node: TmpNode): Mark {
  return { node, mtim: node.mtim, size: node.statSize() };
}

/** Record the upper's content (small: what the runtime seeded). */
export function upperBaseline(upper: TmpFs): UpperBaseline {
  const out: UpperBaseline = new Map();
  const walk = (dir: TmpDir, path: string) => {
    for (const [name, node] of children(dir)) {
      const p = `${path}/${name}`;
      out.set(p, mark(node));
      if (node instanceof TmpDir) walk(node, p);
    }
  };
  walk(upper.root, '');
  return out;
}

/** The first lower node at `name` under `dirs` (top first), stopping at a whiteout or an opaque directory. */
function lowerChild(dirs: readonly LayerDir[], name: string): { node: LayerNode | null; dirs: LayerDir[] } {
  const below: LayerDir[] = [];
  let first: LayerNode | null = null;
  for (const d of dirs) {
    const n = d.entries.get(name);
    if (n === undefined) continue;
    if (n.kind === 'whiteout') break;
    if (first === null) first = n;
    if (n.kind !== 'dir') break;
    below.push(n);
    if (n.opaque) break;
  }
  return { node: first, dirs: below };
}

/** Compare the upper now with its baseline and the lowers. Sorted by path. */
export function diffUpper(upper: TmpFs, lowers: readonly LayerTree[], base: UpperBaseline): DiffEntry[] {
  const out = new Map<string, DiffEntry['kind']>();
  const existedBelow = new Set<string>();
  const markParents = (p: string) => {
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
      const parent = p.slice(0, i);
      if (out.has(parent)) continue;
      if (existedBelow.has(parent) || base.has(parent)) out.set(parent, 'C');
    }
  };
  const seen = new Set<string>();
  const walk = (dir: TmpDir, path: string, below: LayerDir[], added: boolean) => {
    for (const [name, node] of children(dir)) {
      const p = `${path}/${name}`;
      if (SKIP.has(p)) continue;
      seen.add(p);
      const low = lowerChild(below, name);
      if (low.node !== null) existedBelow.add(p);
      if (isWhiteout(node)) {
        if (low.node !== null) {
          out.set(p, 'D');
          markParents(p);
        }
        continue;
      }
      const b = base.get(p);
      const unchanged = b !== undefined && b.node === node && b.mtim === node.mtim && b.size === node.statSize();
      if (node instanceof TmpDir) {
        const isNew = added || (low.node === null && b === undefined);
        if (isNew) {
          out.set(p, 'A');
          markParents(p);
        } else if (node.opaque && low.node !== null && !unchanged) {
          out.set(p, 'C');
          markParents(p);
        }
        walk(node, p, node.opaque ? [] : low.dirs, isNew);
        continue;
      }
      if (unchanged && !added) continue;
      out.set(p, added || (low.node === null && b === undefined) ? 'A' : 'C');
      markParents(p);
    }
  };
  walk(upper.root, '', lowers.map((t) => t.root), false);
  for (const p of base.keys()) {
    if (seen.has(p) || SKIP.has(p) || [...SKIP].some((s) => p.startsWith(`${s}/`))) continue;
    const parent = p.slice(0, p.lastIndexOf('/'));
    if (parent && !seen.has(parent) && base.has(parent)) continue; // inside a deleted directory
    out.set(p, 'D');
    markParents(p);
  }
  return [...out].map(([path, kind]) => ({ kind, path })).sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
