/**
 * The on-disk form of a snapshot: a JSON index of the tree plus one data
 * blob holding every file's bytes back to back. Loading reads the data blob
 * once and gives each file a view (`subarray`) into it, so a second run
 * maps a layer back in one read and no tar parsing or decompression.
 *
 * Index format (version 1): `nodes` is a flat array; node 0 is the root.
 * A directory lists `[name, nodeIndex]` pairs; a hard link is the same node
 * index under two names. File nodes carry `off`/`size` into the data blob.
 * mtimes are decimal strings of nanoseconds (they exceed 2^53).
 *
 * A hard link into a *lower* layer is stored as `{k: 'x', p: PATH}` and
 * resolved against the lower layers when the tree is read back, so it stays
 * one node with the lower file.
 */
import type { LayerDir, LayerNode, LayerTree } from '../../../kernel/fs/layer_tree.js';

/** One serialized node. */
export type EncodedNode =
  | { k: 'd'; m: number; u: number; g: number; t: string; o?: 1; e: [string, number][] }
  | { k: 'f'; m: number; u: number; g: number; t: string; off: number; size: number }
  | { k: 'l'; m: number; u: number; g: number; t: string; target: string }
  | { k: 'w' }
  | { k: 'x'; p: string };

/** A serialized tree. */
export interface EncodedTree {
  version: 1;
  id: string;
  bytes: number;
  nodes: EncodedNode[];
}

/** Serialize `tree`: the index and the data blob (`external`: nodes of lower layers, by path). */
export function encodeTree(tree: LayerTree, external?: ReadonlyMap<LayerNode, string>): { index: EncodedTree; data: Uint8Array } {
  const { index, parts, size } = encodeTreeParts(tree, external);
  const data = new Uint8Array(size);
  let p = 0;
  for (const f of parts) { data.set(f, p); p += f.length; }
  return { index, data };
}

/** Serialize `tree` without copying file bytes: the index and the data blob as its parts in order. */
export function encodeTreeParts(tree: LayerTree, external?: ReadonlyMap<LayerNode, string>): { index: EncodedTree; parts: Uint8Array[]; size: number } {
  const nodes: EncodedNode[] = [];
  const ids = new Map<LayerNode, number>();
  const files: Uint8Array[] = [];
  let off = 0;
  const visit = (n: LayerNode): number => {
    const known = ids.get(n);
    if (known !== undefined) return known;
    const id = nodes.length;
    ids.set(n, id);
    nodes.push({ k: 'w' }); // placeholder, replaced below
    const ext = external?.get(n);
    if (ext !== undefined) {
      nodes[id] = { k: 'x', p: ext };
      return id;
    }
    switch (n.kind) {
      case 'dir': {
        const e: [string, number][] = [];
        for (const [name, child] of n.entries) e.push([name, visit(child)]);
        nodes[id] = { k: 'd', m: n.mode, u: n.uid, g: n.gid, t: n.mtimeNs.toString(), ...(n.opaque ? { o: 1 as const } : {}), e };
        break;
      }
      case 'file': {
        const bytes = typeof n.data === 'function' ? n.data(0, n.size) : n.data;
        files.push(bytes);
        nodes[id] = { k: 'f', m: n.mode, u: n.uid, g: n.gid, t: n.mtimeNs.toString(), off, size: n.size };
        off += n.size;
        break;
      }
      case 'symlink':
        nodes[id] = { k: 'l', m: n.mode, u: n.uid, g: n.gid, t: n.mtimeNs.toString(), target: n.target };
        break;
      case 'whiteout':
        break;
    }
    return id;
  };
  visit(tree.root);
  return { index: { version: 1, id: tree.id, bytes: tree.bytes, nodes }, parts: files, size: off };
}

/**
 * Rebuild a frozen tree from its index and data blob; `resolve` finds the
 * lower-layer nodes of `x` entries. Throws on an inconsistent index.
 */
export function decodeTree(index: EncodedTree, data: Uint8Array, resolve?: (path: string) => LayerNode | undefined): LayerTree {
  if (index.version !== 1 || !Array.isArray(index.nodes) || index.nodes[0]?.k !== 'd') {
    throw new Error('snapshot index has an unknown format');
  }
  const built: (LayerNode | undefined)[] = new Array(index.nodes.length);
  const build = (i: number, depth: number): LayerNode => {
    const have = built[i];
    if (have) return have;
    const e = index.nodes[i];
    if (!e || depth > 4096) throw new Error(`snapshot index node ${i} is missing or nested too deep`);
    let n: LayerNode;
    switch (e.k) {
      case 'd': {
        const dir: LayerDir = { kind: 'dir', mode: e.m, uid: e.u, gid: e.g, mtimeNs: BigInt(e.t), entries: new Map() };
        if (e.o) dir.opaque = true;
        built[i] = dir;
        for (const [name, c] of e.e) {
          if (index.nodes[c]?.k === 'd' && c <= i) throw new Error('snapshot index has a directory cycle or a hard-linked directory');
          dir.entries.set(name, build(c, depth + 1));
        }
        n = dir;
        break;
      }
      case 'f':
        if (e.off < 0 || e.off + e.size > data.length) throw new Error(`snapshot index node ${i} points past the data`);
        n = { kind: 'file', mode: e.m, uid: e.u, gid: e.g, mtimeNs: BigInt(e.t), size: e.size, data: data.subarray(e.off, e.off + e.size) };
        break;
      case 'l':
        n = { kind: 'symlink', mode: e.m, uid: e.u, gid: e.g, mtimeNs: BigInt(e.t), target: e.target };
        break;
      case 'w':
        n = { kind: 'whiteout' };
        break;
      case 'x': {
        const r = resolve?.(e.p);
        if (!r || (r.kind !== 'file' && r.kind !== 'symlink')) throw new Error(`snapshot index node ${i} links to ${e.p} of a lower layer, which is not there`);
        built[i] = r;
        return r;
      }
      default:
        throw new Error(`snapshot index node ${i} has an unknown kind`);
    }
    built[i] = n;
    return Object.freeze(n);
  };
  const root = build(0, 0) as LayerDir;
  return Object.freeze({ id: index.id, root, bytes: index.bytes });
}

/** A zeroed byte array over a SharedArrayBuffer where the platform has one, else an ordinary one. */
export function sharedBytes(size: number): Uint8Array {
  return typeof SharedArrayBuffer === 'function' ? new Uint8Array(new SharedArrayBuffer(size)) : new Uint8Array(size);
}
