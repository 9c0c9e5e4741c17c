/**
 * Overlay inodes. An `OvlNode` is one merged name: its upper inode (in the
 * private tmpfs) once it has been copied up or created, else the lower
 * layer node(s) it shows. Directory nodes merge their children once, on
 * first use, into a `DirEntries` map that every later change goes through
 * (the upper is private to this overlay and the lowers never change, so
 * that map stays the truth and its cookies stay stable).
 */
import { E } from '../errno.js';
import { DirEntries } from '../vfs/dir_entries.js';
import { BaseInode, type Inode, type InodeDirEntry, type OpenRequest, type TimeSpec } from '../vfs/inode.js';
import { RegularDescription } from '../vfs/file_description.js';
import type { SuperBlock } from '../vfs/superblock.js';
import { type Credentials, type Filestat, FileType, type FileTypeValue, type OpenFile } from '../vfs/types.js';
import { utf8Length } from '../vfs/walk.js';
import { layerDirNlink, layerFileRead, layerIndex } from './layer_index.js';
import { mergeLayerChildren, type LayerStack, type RealLayerNode } from './layer_merge.js';
import type { LayerDir } from './layer_tree.js';
import { layerFileType } from './layerfs.js';
import type { OverlayFs } from './overlay.js';
import { isWhiteout, type TmpDir, TmpFile, type TmpNode } from './tmpfs.js';

export type { RealLayerNode };

/** How a merged child was found: what `OvlNode` is built from (the layer stack plus its upper inode). */
export type MergedEntry = LayerStack<TmpNode>;

/** One name of the merged tree. */
export class OvlNode extends BaseInode {
  readonly type: FileTypeValue;
  /** Copied-up or created inode in the upper tmpfs. */
  upper: TmpNode | null;
  /** Lower nodes at this path, top first (a stack only for directories). */
  lowers: RealLayerNode[];
  /** Layer index (in fs.lowers) of each of `lowers`. */
  layers: number[];
  /** A lower entry lies at this path: removing the name needs a whiteout. */
  covers: boolean;
  /** Removed from the tree (unlinked, rmdir'ed, replaced). */
  removed = false;
  /** Shown from a lower node whose host ids are unmapped (LayerMeta.unmapped): kept after copy-up, as the host owner would be. */
  private readonly unmapped: boolean;
  private kids: DirEntries<OvlNode> | null = null;
  private opens = 0;

  constructor(
    readonly fs: OverlayFs,
    public parent: OvlNode | null,
    public name: string,
    readonly ino: bigint,
    e: MergedEntry,
  ) {
    super();
    this.upper = e.upper;
    this.lowers = e.lowers;
    this.layers = e.layers;
    this.covers = e.covers;
    this.unmapped = e.lowers.length > 0 && e.lowers[0].unmapped === true;
    this.type = e.upper !== null ? e.upper.type : layerFileType(e.lowers[0]);
  }

  get sb(): SuperBlock {
    return this.fs.sb;
  }
  get mode(): number {
    return this.upper !== null ? this.upper.mode : this.lowers[0].mode;
  }
  get uid(): number {
    return this.upper !== null ? this.upper.uid : this.lowers[0].uid;
  }
  get gid(): number {
    return this.upper !== null ? this.upper.gid : this.lowers[0].gid;
  }
  get idsMapped(): boolean {
    return !this.unmapped;
  }

  stat(): Filestat {
    let st: Filestat;
    if (this.upper !== null) {
      st = this.upper.stat();
      st.dev = this.fs.sb.dev;
      st.ino = this.ino;
    } else {
      const n = this.lowers[0];
      const nlink = n.kind === 'dir' ? 2 : layerIndex(this.fs.lowers[this.layers[0]]).nlink.get(n) ?? 1;
      st = {
        dev: this.fs.sb.dev,
        ino: this.ino,
        filetype: this.type,
        nlink: BigInt(nlink),
        size: BigInt(n.kind === 'file' ? n.size : n.kind === 'symlink' ? utf8Length(n.target) : 4096),
        atim: n.mtimeNs,
        mtim: n.mtimeNs,
        ctim: n.mtimeNs,
        mode: n.mode,
        uid: n.uid,
        gid: n.gid,
      };
    }
    if (this.type === FileType.DIRECTORY) {
      let n = 2;
      if (this.removed) n = 0;
      else if (this.kids === null && this.upper === null && this.lowers.length === 1) {
        // One untouched lower directory: its own count, without merging it.
        n = layerDirNlink(this.lowers[0] as LayerDir);
      } else for (const [, c] of this.children().entries()) if (c.type === FileType.DIRECTORY) n++;
      st.nlink = BigInt(n);
    } else if (this.removed && this.upper === null) st.nlink = 0n;
    return st;
  }

  override setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    this.fs.copyUp(this).setTimes(atim, mtim);
  }

  // ---- directories ----

  /** The merged children (built on first use). */
  children(): DirEntries<OvlNode> {
    if (this.kids === null) this.kids = this.fs.merge(this);
    return this.kids;
  }
  override parentDir(): Inode {
    if (this.type !== FileType.DIRECTORY) throw E.NOTDIR;
    return this.parent ?? this;
  }
  override lookup(name: string): Inode | undefined {
    return this.children().get(name);
  }
  override readdir(after: number, max: number): InodeDirEntry[] {
    return this.children()
      .after(after, max)
      .map((e) => ({ name: e.name, ino: e.value.ino, type: e.value.type, seq: e.seq }));
  }
  override create(name: string, mode: number, cred: Credentials): Inode {
    return this.fs.addChild(this, name, (up) => up.create(name, mode, cred) as TmpNode);
  }
  override mkdir(name: string, mode: number, cred: Credentials): Inode {
    return this.fs.addChild(this, name, (up, covers) => {
      const d = up.mkdir(name, mode, cred) as TmpDir;
      if (covers) d.opaque = true;
      return d;
    });
  }
  override symlink(name: string, target: string, cred: Credentials): Inode {
    return this.fs.addChild(this, name, (up) => up.symlink(name, target, cred) as TmpNode);
  }
  override link(name: string, target: Inode): void {
    if (!(target instanceof OvlNode) || target.fs !== this.fs) throw E.XDEV;
    if (target.removed && target.upper === null) throw E.NOENT;
    const u = this.fs.copyUp(target);
    if (u.nlink === 0) throw E.NOENT;
    this.fs.addChild(this, name, (up) => {
      up.link(name, u);
      return u;
    });
  }
  override unlink(name: string): void {
    const child = this.children().get(name);
    if (child === undefined) throw E.NOENT;
    if (child.type === FileType.DIRECTORY) throw E.ISDIR;
    this.fs.removeChild(this, child);
  }
  override rmdir(name: string): void {
    const child = this.children().get(name);
    if (child === undefined) throw E.NOENT;
    if (child.type !== FileType.DIRECTORY) throw E.NOTDIR;
    if (child.children().size > 0) throw E.NOTEMPTY;
    this.fs.removeChild(this, child);
  }
  override rename(oldName: string, newDir: Inode, newName: string): void {
    if (!(newDir instanceof OvlNode) || newDir.fs !== this.fs) throw E.XDEV;
    this.fs.rename(this, oldName, newDir, newName);
  }

  /** Forget the merged children (the node moved: they were all copied up first). */
  dropLowers(): void {
    this.lowers = [];
    this.layers = [];
  }

  // ---- symlinks and files ----

  override readlink(_cred: Credentials): string {
    if (this.upper !== null) return this.upper.readlink(_cred);
    const n = this.lowers[0];
    if (n.kind !== 'symlink') throw E.INVAL;
    return n.target;
  }
  override size(): number {
    if (this.upper !== null) return this.upper.size();
    const n = this.lowers[0];
    return n.kind === 'file' ? n.size : 0;
  }
  override readAt(pos: number, max: number): Uint8Array {
    if (this.upper !== null) return this.upper.readAt(pos, max);
    const n = this.lowers[0];
    if (n.kind !== 'file') throw E.INVAL;
    return layerFileRead(n.data, n.size, pos, max);
  }
  override writeAt(pos: number, data: Uint8Array): number {
    return this.fs.copyUp(this).writeAt(pos, data);
  }
  override truncate(size: number): void {
    this.fs.copyUp(this).truncate(size);
  }
  override open(req: OpenRequest): OpenFile {
    if (this.type !== FileType.REGULAR_FILE) throw E.NXIO;
    if (req.mode.write) this.fs.copyUp(this);
    return new RegularDescription(req);
  }
  opened(): void {
    this.opens++;
    if (this.upper instanceof TmpFile) this.upper.opened();
  }
  closed(): void {
    this.opens--;
    if (this.upper instanceof TmpFile) this.upper.closed();
  }
  /** Descriptions open on this node (copy-up passes them on to the new upper file). */
  get openCount(): number {
    return this.opens;
  }
}

/**
 * Merge the children of directory `dir`: upper entries first (whiteouts
 * hide, opaque stops), then the lowers by the layer rules of
 * `layer_merge.ts` (the one merged-layer lookup).
 */
export function mergeEntries(upper: TmpDir | null, lowers: readonly RealLayerNode[], layers: readonly number[]): Map<string, MergedEntry> {
  const out = new Map<string, MergedEntry>();
  const hidden = new Set<string>();
  if (upper !== null) {
    for (const [name, n] of upper.entries.entries()) {
      if (isWhiteout(n)) hidden.add(name);
      else {
        const closed = n.type !== FileType.DIRECTORY || (n as TmpDir).opaque;
        out.set(name, { upper: n, lowers: [], layers: [], covers: false, closed });
      }
    }
    if (upper.opaque) return out;
  }
  return mergeLayerChildren(lowers, layers, out, hidden);
}
