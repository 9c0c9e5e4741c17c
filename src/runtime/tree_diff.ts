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
 *
 * The walk is linear in the entries of the upper whatever its depth (a
 * guest makes 20,000 nested directories in a second): iterative (no
 * recursion to overflow), siblings ordered so that the walk itself yields
 * the path order (no sort of long paths), parents marked in amortized O(1)
 * (a stack of frames, stopping at the first already marked), and no path
 * string is built in the Sentry below the baseline's depth: the result is
 * a `DiffWire` (names and parent indexes) that `diffPaths` turns into
 * paths on the caller's side. It awaits `pause()` every `DIFF_SLICE`
 * entries, so that the Sentry serves other containers in between.
 */
import type { LayerDir, LayerNode, LayerTree } from '../../kernel/fs/layer_tree.js';
import { isWhiteout, TmpDir, type TmpFs, type TmpNode } from '../../kernel/fs/tmpfs.js';
import type { DiffEntry, DiffWire } from '../sentry/control_plane.js';

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

/** Entries of the upper visited between two pauses of `diffUpper`. */
export const DIFF_SLICE = 512;

/** One directory being walked. */
interface Frame {
  dir: TmpDir;
  /** Path, only when within the baseline's depth (else null: never built). */
  path: string | null;
  below: LayerDir[];
  added: boolean;
  /** Record index of this directory (-1 for the root). */
  slot: number;
  /** Existed below or in the baseline: a change inside makes it 'C'. */
  eligible: boolean;
  /** A change inside was already propagated up from here. */
  marked: boolean;
  items: Item[];
  next: number;
  /** What each child's own entry found, for its subtree item. */
  infos: Map<string, ChildInfo>;
}

/** What a child's own entry found, for the walk of its subtree. */
interface ChildInfo {
  slot: number;
  low: LayerDir[];
  isNew: boolean;
  eligible: boolean;
  marked: boolean;
}

/** A sibling's own entry ('self', key `name`) or its subtree ('sub', key `name/`), or a baseline entry gone. */
interface Item {
  key: string;
  name: string;
  node: TmpNode | null;
  sub: boolean;
}

/** Compare the upper now with its baseline and the lowers: path order, as a wire record for `diffPaths`. */
export async function diffUpper(upper: TmpFs, lowers: readonly LayerTree[], base: UpperBaseline, pause: () => Promise<void> = async () => {}): Promise<DiffWire> {
  const names: string[] = [];
  const parents: number[] = [];
  const kinds: string[] = [];
  const record = (parent: number, name: string, kind: string): number => {
    names.push(name);
    parents.push(parent);
    kinds.push(kind);
    return kinds.length - 1;
  };
  // the baseline by parent, and its depth (paths are built only down to it)
  const baseChildren = new Map<string, string[]>();
  let baseDepth = 0;
  for (const p of base.keys()) {
    const i = p.lastIndexOf('/');
    const parent = p.slice(0, i);
    const list = baseChildren.get(parent) ?? [];
    list.push(p.slice(i + 1));
    baseChildren.set(parent, list);
    baseDepth = Math.max(baseDepth, p.split('/').length - 1);
  }
  const stack: Frame[] = [];
  const markParents = () => {
    for (let k = stack.length - 1; k >= 0; k--) {
      const f = stack[k]!;
      if (f.marked) break;
      f.marked = true;
      if (f.slot >= 0 && f.eligible && kinds[f.slot] === '-') kinds[f.slot] = 'C';
    }
  };
  const open = (dir: TmpDir | null, path: string | null, below: LayerDir[], added: boolean, slot: number, eligible: boolean, marked: boolean, depth: number) => {
    const items: Item[] = [];
    const present = new Set<string>();
    if (dir !== null) {
      for (const [name, node] of children(dir)) {
        if (depth === 0 && SKIP.has(`/${name}`)) continue;
        present.add(name);
        items.push({ key: name, name, node, sub: false });
        items.push({ key: `${name}/`, name, node, sub: true });
      }
    }
    // baseline entries gone from here (or below a baseline directory that is no longer one): deleted
    for (const name of path !== null ? baseChildren.get(path) ?? [] : []) {
      if (depth === 0 && SKIP.has(`/${name}`)) continue;
      if (!present.has(name)) items.push({ key: name, name, node: null, sub: false });
    }
    items.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    stack.push({ dir: dir as TmpDir, path, below, added, slot, eligible, marked, items, next: 0, infos: new Map() });
  };
  open(upper.root, '', lowers.map((t) => t.root), false, -1, false, false, 0);
  let work = 0;
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    if (f.next >= f.items.length) {
      stack.pop();
      continue;
    }
    if (++work % DIFF_SLICE === 0) await pause();
    const it = f.items[f.next++]!;
    const path = f.path !== null && stack.length <= baseDepth ? `${f.path}/${it.name}` : null;
    const node = it.node;
    if (node === null) {
      // a baseline path that is gone (its own subtree is not listed, as for any deleted directory)
      record(f.slot, it.name, 'D');
      markParents();
      continue;
    }
    if (it.sub) {
      const info = f.infos.get(it.name);
      if (f.dir === null || !(node instanceof TmpDir) || isWhiteout(node)) {
        // a baseline directory replaced by a file or a whiteout: its baseline children are deleted
        if (path !== null && baseChildren.has(path) && info !== undefined) open(null, path, [], false, info.slot, info.eligible, info.marked, stack.length);
        continue;
      }
      if (info === undefined) continue;
      open(node, path, node.opaque ? [] : info.low, info.isNew, info.slot, info.eligible, info.marked, stack.length);
      continue;
    }
    const low = lowerChild(f.below, it.name);
    const b = path !== null ? base.get(path) : undefined;
    const eligible = low.node !== null || b !== undefined;
    if (isWhiteout(node)) {
      const slot = record(f.slot, it.name, low.node !== null ? 'D' : '-');
      if (low.node !== null) markParents();
      f.infos.set(it.name, { slot, low: [], isNew: false, eligible, marked: low.node !== null });
      continue;
    }
    const unchanged = b !== undefined && b.node === node && b.mtim === node.mtim && b.size === node.statSize();
    if (node instanceof TmpDir) {
      const isNew = f.added || (low.node === null && b === undefined);
      let kind = '-';
      if (isNew) kind = 'A';
      else if (node.opaque && low.node !== null && !unchanged) kind = 'C';
      const slot = record(f.slot, it.name, kind);
      if (kind !== '-') markParents();
      f.infos.set(it.name, { slot, low: low.dirs, isNew, eligible, marked: kind !== '-' });
      continue;
    }
    const slot = record(f.slot, it.name, unchanged && !f.added ? '-' : f.added || (low.node === null && b === undefined) ? 'A' : 'C');
    if (kinds[slot] !== '-') markParents();
    f.infos.set(it.name, { slot, low: [], isNew: false, eligible, marked: kinds[slot] !== '-' });
  }
  return { names, parents, kinds: kinds.join('') };
}

/** The paths of a `DiffWire`, in its (path) order. Linear in the bytes of the paths. */
export function diffPaths(w: DiffWire): DiffEntry[] {
  const paths: string[] = new Array(w.names.length);
  const out: DiffEntry[] = [];
  for (let i = 0; i < w.names.length; i++) {
    const parent = w.parents[i]!;
    const p = `${parent < 0 ? '' : paths[parent]!}/${w.names[i]!}`;
    paths[i] = p;
    const k = w.kinds[i]!;
    if (k !== '-') out.push({ kind: k as DiffEntry['kind'], path: p });
  }
  return out;
}
