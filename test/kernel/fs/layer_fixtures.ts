/** Hand-built LayerTrees for overlay and layerfs tests, and a deep snapshot to prove they never change. */
import type { LayerDir, LayerFile, LayerNode, LayerSymlink, LayerTree, LayerWhiteout } from '../../../kernel/fs/layer_tree.js';

const enc = new TextEncoder();
/** Default mtime of fixture nodes. */
export const LAYER_TIME = 1_600_000_000_000_000_007n;

/** A file node. */
export function file(data: string | Uint8Array, mode = 0o644, uid = 0): LayerFile {
  const bytes = typeof data === 'string' ? enc.encode(data) : data;
  return { kind: 'file', mode, uid, gid: uid, mtimeNs: LAYER_TIME, size: bytes.length, data: bytes };
}
/** A directory node. */
export function dir(entries: Record<string, LayerNode>, opts: { opaque?: boolean; mode?: number } = {}): LayerDir {
  const sorted = Object.keys(entries).sort();
  return {
    kind: 'dir', mode: opts.mode ?? 0o755, uid: 0, gid: 0, mtimeNs: LAYER_TIME,
    entries: new Map(sorted.map((k) => [k, entries[k]])),
    ...(opts.opaque ? { opaque: true } : {}),
  };
}
/** A symlink node. */
export function symlink(target: string): LayerSymlink {
  return { kind: 'symlink', mode: 0o777, uid: 0, gid: 0, mtimeNs: LAYER_TIME, target };
}
/** A whiteout node. */
export function whiteout(): LayerWhiteout {
  return { kind: 'whiteout' };
}
/** A tree. */
export function tree(id: string, root: LayerDir): LayerTree {
  let bytes = 0;
  const seen = new Set<LayerNode>();
  const todo = [root];
  while (todo.length > 0) {
    const d = todo.pop()!;
    for (const n of d.entries.values()) {
      if (n.kind === 'dir') todo.push(n);
      else if (n.kind === 'file' && !seen.has(n)) {
        seen.add(n);
        bytes += n.size;
      }
    }
  }
  return { id, root, bytes };
}

/** A canonical, deep description of a tree: every field, every byte, and hard-link identity. */
export function snapshot(t: LayerTree): string {
  const ids = new Map<LayerNode, number>();
  const lines: string[] = [`${t.id} ${t.bytes}`];
  const walk = (d: LayerDir, p: string): void => {
    lines.push(`${p}/ dir ${d.mode} ${d.uid} ${d.gid} ${d.mtimeNs} ${d.opaque ?? ''} ${[...d.entries.keys()].join(',')}`);
    for (const [name, n] of d.entries) {
      const q = `${p}/${name}`;
      if (!ids.has(n)) ids.set(n, ids.size);
      const id = ids.get(n);
      if (n.kind === 'dir') walk(n, q);
      else if (n.kind === 'file') {
        const data = typeof n.data === 'function' ? n.data(0, n.size) : n.data;
        lines.push(`${q} file#${id} ${n.mode} ${n.uid} ${n.gid} ${n.mtimeNs} ${n.size} ${Buffer.from(data).toString('hex')}`);
      } else if (n.kind === 'symlink') lines.push(`${q} symlink#${id} ${n.mode} ${n.target} ${n.mtimeNs}`);
      else lines.push(`${q} whiteout`);
    }
  };
  walk(t.root, '');
  return lines.join('\n');
}

/**
 * The shared suite's seed tree split over two layers (top first), plus
 * extras: a whiteout (/seed/gone), an opaque directory (/opq) and a
 * directory merged from both layers (/merged).
 */
export function seedLayers(): LayerTree[] {
  const shared = file('shared');
  const top = tree('top', dir({
    seed: dir({
      'a.txt': file('alpha'),
      link: symlink('a.txt'),
      hard1: shared,
      hard2: shared,
      empty: dir({}),
      gone: whiteout(),
    }),
    opq: dir({ y: file('y') }, { opaque: true }),
    merged: dir({ top: file('top'), both: file('top wins'), dir: dir({ t: file('t') }) }),
  }));
  const bottom = tree('bottom', dir({
    seed: dir({
      dir: dir({ 'b.txt': file('beta'), sub: dir({ 'c.txt': file('gamma') }) }),
      secret: file('secret', 0o600),
      gone: file('must stay hidden'),
      'a.txt': file('hidden by top'),
    }),
    opq: dir({ x: file('x') }),
    merged: dir({ bottom: file('bottom'), both: file('bottom loses'), dir: dir({ b: file('b') }) }),
  }));
  return [top, bottom];
}

/** The shared suite's seed tree in a single layer (for layerfs). */
export function seedSingleLayer(): LayerTree {
  const shared = file('shared');
  return tree('single', dir({
    seed: dir({
      'a.txt': file('alpha'),
      dir: dir({ 'b.txt': file('beta'), sub: dir({ 'c.txt': file('gamma') }) }),
      secret: file('secret', 0o600),
      link: symlink('a.txt'),
      hard1: shared,
      hard2: shared,
      empty: dir({}),
    }),
  }));
}
