/**
 * overlay: a union of read-only lower layers (LayerTrees, top first) under
 * a private writable upper (a tmpfs), as Linux overlayfs.
 *
 * - Lookups merge: upper first, then each lower; a whiteout (upper:
 *   character device 0/0; layers: kind 'whiteout') hides the name below it,
 *   an opaque directory hides everything below it, a non-directory ends the
 *   stack.
 * - Any change to a lower object first copies it up (parents first) with
 *   its data, mode, owner and times. A host file whose owner the user
 *   namespace does not map (LayerMeta.unmapped) stays unmapped after the
 *   copy, and its copy-up, which reads it, is EACCES unless anyone may read it. A hard-linked lower file is copied up
 *   once and all its other visible names are linked to the copy at once,
 *   so the names stay one file.
 * - Removing a name that hides a lower entry leaves a whiteout; a directory
 *   created where a whiteout was is opaque.
 * - Renaming a directory that has lower content copies its whole subtree up
 *   and marks it opaque (no redirects).
 * - Inode numbers are allocated by the overlay and keyed by the lower node
 *   (hard links share one) or the upper inode: stable across copy-up.
 * - The lower trees are never written to.
 */
import { E } from '../errno.js';
import { DirEntries } from '../vfs/dir_entries.js';
import { type Clock, type FileSystem, SuperBlock } from '../vfs/superblock.js';
import { FileType } from '../vfs/types.js';
import { layerIndex } from './layer_index.js';
import { layerRootStack } from './layer_merge.js';
import type { LayerTree } from './layer_tree.js';
import { type MergedEntry, mergeEntries, OvlNode, type RealLayerNode } from './overlay_node.js';
import { isWhiteout, TmpDir, type TmpFile, TmpFs, type TmpNode } from './tmpfs.js';
import type { SpaceAccount } from './tmpfs_data.js';

/** Options of an overlay. */
export interface OverlayOptions {
  /** The upper filesystem (default: a new tmpfs). */
  upper?: TmpFs;
  /** Byte limit of the default upper tmpfs. */
  limit?: number;
  /** Parent account of the default upper tmpfs (the container's memory cgroup). */
  parentAccount?: SpaceAccount;
}

const COPY_STEP = 1 << 20;

/** An overlay filesystem. */
export class OverlayFs implements FileSystem {
  readonly sb: SuperBlock;
  readonly upper: TmpFs;
  readonly root: OvlNode;
  readonly source = 'overlay';
  private readonly inos = new Map<object, bigint>();

  constructor(readonly lowers: readonly LayerTree[], clock: Clock, opts: OverlayOptions = {}) {
    this.sb = new SuperBlock('overlay', clock);
    this.upper = opts.upper ?? new TmpFs(clock, { limit: opts.limit, parentAccount: opts.parentAccount, source: 'overlay' });
    const { lowers: ls, layers } = layerRootStack(lowers);
    const root = this.upper.root;
    // An empty upper root takes the lower root's metadata; a used upper keeps its own.
    if (ls.length > 0 && root.entries.size === 0) {
      root.mode = ls[0].mode;
      root.uid = ls[0].uid;
      root.gid = ls[0].gid;
      root.mtim = root.atim = root.ctim = ls[0].mtimeNs;
    }
    this.root = new OvlNode(this, null, '', this.sb.nextIno(), { upper: root, lowers: ls, layers, covers: false, closed: false });
  }

  /** Bytes of the private upper (for memory cgroup charging). */
  get bytesUsed(): number {
    return this.upper.bytesUsed;
  }

  /** Overlay inode number for a lower node or an upper inode. */
  private inoFor(key: object): bigint {
    let ino = this.inos.get(key);
    if (ino === undefined) {
      ino = this.sb.nextIno();
      this.inos.set(key, ino);
    }
    return ino;
  }

  private makeNode(parent: OvlNode, name: string, e: MergedEntry): OvlNode {
    const ino = this.inoFor(e.lowers.length > 0 ? e.lowers[0] : e.upper!);
    if (e.upper !== null && !this.inos.has(e.upper)) this.inos.set(e.upper, ino);
    return new OvlNode(this, parent, name, ino, e);
  }

  /** Build the merged children of `dir` (called once per directory node). */
  merge(dir: OvlNode): DirEntries<OvlNode> {
    const kids = new DirEntries<OvlNode>();
    if (dir.removed) return kids;
    const merged = mergeEntries(dir.upper as TmpDir | null, dir.lowers, dir.layers);
    for (const [name, e] of merged) kids.set(name, this.makeNode(dir, name, e));
    return kids;
  }

  /** Copy `node` up (parents first) if it is not already; returns its upper inode. */
  copyUp(node: OvlNode): TmpNode {
    if (node.upper !== null) return node.upper;
    // Parents first, iteratively (directories can nest deeper than the stack).
    const chain: OvlNode[] = [];
    for (let n: OvlNode | null = node; n !== null && n.upper === null; n = n.parent) chain.push(n);
    for (let i = chain.length - 1; i >= 0; i--) this.copyUpOne(chain[i]);
    return node.upper!;
  }

  /** Copy up `node`, whose parent is already up. */
  private copyUpOne(node: OvlNode): TmpNode {
    if (node.parent === null || node.parent.upper === null) throw E.IO;
    const pu = node.parent.upper as TmpDir;
    const lower = node.lowers[0];
    const cred = { uid: lower.uid, gid: lower.gid };
    const saved = [pu.mtim, pu.ctim];
    let u: TmpNode;
    if (lower.kind === 'dir') {
      u = pu.mkdir(node.name, lower.mode, cred) as TmpNode;
    } else if (lower.kind === 'symlink') {
      u = pu.symlink(node.name, lower.target, cred) as TmpNode;
    } else {
      // Copy-up reads the file: one whose host owner is unmapped is "other" to everyone in the container.
      if (lower.unmapped === true && (lower.mode & 0o004) === 0) throw E.ACCES;
      const f = pu.create(node.name, lower.mode, cred) as TmpFile;
      try {
        for (let off = 0; off < lower.size; off += COPY_STEP) {
          const n = Math.min(COPY_STEP, lower.size - off);
          f.data.write(off, typeof lower.data === 'function' ? lower.data(off, n) : lower.data.subarray(off, off + n));
        }
        if (f.data.size < lower.size) f.data.truncate(lower.size);
      } catch (e) {
        pu.unlink(node.name);
        [pu.mtim, pu.ctim] = saved;
        throw e;
      }
      for (let i = 0; i < node.openCount; i++) f.opened();
      u = f;
    }
    u.mode = lower.mode;
    u.uid = lower.uid;
    u.gid = lower.gid;
    u.atim = u.mtim = u.ctim = lower.mtimeNs;
    [pu.mtim, pu.ctim] = saved;
    this.inos.set(u, node.ino);
    node.upper = u;
    if (lower.kind !== 'dir') this.linkSiblings(node, lower);
    return u;
  }

  /** After copying up a hard-linked lower file, link its other visible names to the copy. */
  private linkSiblings(node: OvlNode, lower: RealLayerNode): void {
    const paths = layerIndex(this.lowers[node.layers[0]]).paths.get(lower);
    if (paths === undefined) return;
    const u = node.upper!;
    for (const p of paths) {
      const other = this.lookupPath(p);
      if (other === undefined || other === node || other.upper !== null || other.lowers[0] !== lower) continue;
      const pu = this.copyUp(other.parent!) as TmpDir;
      const saved = [pu.mtim, pu.ctim];
      pu.link(other.name, u);
      [pu.mtim, pu.ctim] = saved;
      other.upper = u;
      for (let i = 0; i < other.openCount; i++) (u as TmpFile).opened();
    }
  }

  /** The merged node at relative path `p` (no symlinks followed). */
  private lookupPath(p: string): OvlNode | undefined {
    let cur: OvlNode | undefined = this.root;
    for (const part of p.split('/')) {
      if (part === '') continue;
      if (cur === undefined || cur.type !== FileType.DIRECTORY) return undefined;
      cur = cur.children().get(part);
    }
    return cur;
  }

  /** Copy up `node` and, for a directory, everything below it. */
  private copyUpTree(node: OvlNode): void {
    const todo = [node];
    while (todo.length > 0) {
      const n = todo.pop()!;
      this.copyUp(n);
      if (n.type === FileType.DIRECTORY) for (const [, c] of n.children().entries()) todo.push(c);
    }
  }

  /** Add a new name to `dir`; `make` creates it in the upper (told whether it replaces a whiteout). */
  addChild(dir: OvlNode, name: string, make: (up: TmpDir, covers: boolean) => TmpNode): OvlNode {
    if (dir.removed) throw E.NOENT;
    const kids = dir.children();
    if (kids.has(name)) throw E.EXIST;
    const up = this.copyUp(dir) as TmpDir;
    const covers = isWhiteout(up.entries.get(name));
    if (covers) up.unlink(name);
    const u = make(up, covers);
    const node = this.makeNode(dir, name, { upper: u, lowers: [], layers: [], covers, closed: true });
    kids.set(name, node);
    return node;
  }

  /**
   * A lower hard-linked file about to lose a name is copied up first (which
   * links its other names), so the link count of the names left is right.
   */
  private beforeRemoval(child: OvlNode): void {
    if (child.upper === null && child.type !== FileType.DIRECTORY && child.lowers.length > 0
      && layerIndex(this.lowers[child.layers[0]]).nlink.has(child.lowers[0])) {
      this.copyUp(child);
    }
  }

  /** Remove `child` from `dir`: from the upper if there, plus a whiteout if it hid a lower entry. */
  removeChild(dir: OvlNode, child: OvlNode): void {
    this.beforeRemoval(child);
    const up = this.copyUp(dir) as TmpDir;
    if (child.upper !== null) {
      if (child.upper instanceof TmpDir) {
        child.upper.clearWhiteouts();
        up.rmdir(child.name);
      } else up.unlink(child.name);
    }
    if (child.covers) up.mkWhiteout(child.name);
    else if (child.upper === null) up.changed();
    dir.children().delete(child.name);
    child.removed = true;
  }

  /** rename(2) inside this overlay; the VFS has checked types and ancestry. */
  rename(from: OvlNode, oldName: string, to: OvlNode, newName: string): void {
    const src = from.children().get(oldName);
    if (src === undefined) throw E.NOENT;
    if (to.removed) throw E.NOENT;
    const dkids = to.children();
    const dst = dkids.get(newName);
    if (dst === src || (dst !== undefined && dst.ino === src.ino)) return;
    const srcDir = src.type === FileType.DIRECTORY;
    if (dst !== undefined) {
      const dstDir = dst.type === FileType.DIRECTORY;
      if (srcDir && !dstDir) throw E.NOTDIR;
      if (!srcDir && dstDir) throw E.ISDIR;
      if (dstDir && dst.children().size > 0) throw E.NOTEMPTY;
    }
    if (srcDir) this.copyUpTree(src);
    else this.copyUp(src);
    if (dst !== undefined) this.beforeRemoval(dst);
    const oldUp = this.copyUp(from) as TmpDir;
    const newUp = this.copyUp(to) as TmpDir;
    const slot = newUp.entries.get(newName);
    const slotWasWhiteout = isWhiteout(slot);
    if (slotWasWhiteout) newUp.unlink(newName);
    else if (slot instanceof TmpDir) slot.clearWhiteouts();
    oldUp.rename(oldName, newUp, newName);
    if (src.covers) oldUp.mkWhiteout(oldName);
    if (srcDir) {
      (src.upper as TmpDir).opaque = true;
      src.dropLowers();
    }
    from.children().delete(oldName);
    dkids.set(newName, src);
    src.parent = to;
    src.name = newName;
    src.covers = dst !== undefined ? dst.covers : slotWasWhiteout;
    if (dst !== undefined) dst.removed = true;
  }
}
