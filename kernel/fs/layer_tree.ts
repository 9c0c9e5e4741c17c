/**
 * The immutable, shareable form of one unpacked image layer. `src/image`
 * builds it from a layer tarball once per layer digest; `kernel/fs/layerfs`
 * serves it read-only and the overlay stacks several of them under a private
 * upper. Nothing may mutate a tree after `freezeLayer` returned it.
 *
 * Hard links are two names whose `node` is the same LayerNode object.
 * Whiteouts (`.wh.NAME`) become nodes of kind 'whiteout' named NAME; an
 * opaque directory (`.wh..wh..opq`) has `opaque: true`.
 */

/** One node of a layer tree. */
export type LayerNode = LayerFile | LayerDir | LayerSymlink | LayerWhiteout;

/** Metadata common to real nodes. */
export interface LayerMeta {
  /** Permission bits plus setuid/setgid/sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time, ns since the epoch. */
  mtimeNs: bigint;
  /**
   * Set on a host directory's node (`--rootfs` under a user namespace) whose
   * host owner or group has no mapping: it shows as 65534 and container root
   * has no override on it (`Inode.idsMapped`), also after a copy-up.
   */
  unmapped?: true;
}

/** A regular file; `data` holds its bytes (or a lazy reader for large layers). */
export interface LayerFile extends LayerMeta {
  kind: 'file';
  size: number;
  data: Uint8Array | ((offset: number, length: number) => Uint8Array);
}

/** A directory; `entries` is sorted by name. */
export interface LayerDir extends LayerMeta {
  kind: 'dir';
  entries: Map<string, LayerNode>;
  /** True if this directory hides everything below it in lower layers. */
  opaque?: boolean;
}

/** A symbolic link. */
export interface LayerSymlink extends LayerMeta {
  kind: 'symlink';
  target: string;
}

/** A whiteout: the name is deleted from lower layers. */
export interface LayerWhiteout {
  kind: 'whiteout';
}

/** A whole layer: its root directory and the digest it was built from. */
export interface LayerTree {
  /** Uncompressed layer digest (diff ID) or any stable id. */
  readonly id: string;
  readonly root: LayerDir;
  /** Bytes of file data held by this layer (for accounting). */
  readonly bytes: number;
  /**
   * Set when the files' bytes are read on demand from this host directory
   * (`layerTreeFromHost`): such a tree holds functions, so it cannot be
   * copied to another worker; the receiver rebuilds it from the path.
   */
  readonly hostPath?: string;
  /**
   * Release the host handles a host directory's tree holds
   * (`layerTreeFromHost`); its lazy reads fail afterwards. Called by whoever
   * built the tree, once no container uses it.
   */
  readonly close?: () => void;
}

/** True if some file of `tree` reads its bytes through a function (a lazy layer), which no structured clone can carry. */
export function hasLazyFiles(tree: LayerTree): boolean {
  const seen = new Set<LayerDir>();
  const walk = (d: LayerDir): boolean => {
    if (seen.has(d)) return false;
    seen.add(d);
    for (const n of d.entries.values()) {
      if (n.kind === 'file' && typeof n.data === 'function') return true;
      if (n.kind === 'dir' && walk(n)) return true;
    }
    return false;
  };
  return walk(tree.root);
}

/** Make an empty directory node. */
export function emptyLayerDir(mode = 0o755): LayerDir {
  return { kind: 'dir', mode, uid: 0, gid: 0, mtimeNs: 0n, entries: new Map() };
}
