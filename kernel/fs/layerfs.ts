/**
 * layerfs: a read-only filesystem showing one immutable LayerTree. Many
 * containers share one tree; each layerfs instance only adds small inode
 * wrappers, created on first lookup and cached by node identity (so two
 * names of one hard-linked node are one inode). File reads return views of
 * the layer's bytes: zero copy. Whiteouts in the tree are hidden (they only
 * mean something to an overlay).
 */
import { E } from '../errno.js';
import { BaseInode, type Inode, type InodeDirEntry, type OpenRequest, FIRST_SEQ } from '../vfs/inode.js';
import { RegularDescription } from '../vfs/file_description.js';
import { type Clock, type FileSystem, SuperBlock } from '../vfs/superblock.js';
import { type Filestat, FileType, type FileTypeValue, type OpenFile } from '../vfs/types.js';
import { utf8Length } from '../vfs/walk.js';
import { layerDirNlink, layerFileRead, layerIndex } from './layer_index.js';
import type { LayerDir, LayerNode, LayerTree } from './layer_tree.js';

/** WASI filetype of a (non-whiteout) layer node. */
export function layerFileType(node: LayerNode): FileTypeValue {
  switch (node.kind) {
    case 'dir':
      return FileType.DIRECTORY;
    case 'file':
      return FileType.REGULAR_FILE;
    case 'symlink':
      return FileType.SYMBOLIC_LINK;
    default:
      return FileType.CHARACTER_DEVICE;
  }
}

/** One layer node as an inode. */
export class LayerInode extends BaseInode {
  readonly type: FileTypeValue;
  private sorted: [string, LayerNode][] | null = null;

  constructor(readonly fs: LayerFs, readonly node: Exclude<LayerNode, { kind: 'whiteout' }>, readonly ino: bigint, private readonly parent: LayerInode | null) {
    super();
    this.type = layerFileType(node);
  }

  get sb(): SuperBlock {
    return this.fs.sb;
  }
  get mode(): number {
    return this.node.mode;
  }
  get uid(): number {
    return this.node.uid;
  }
  get gid(): number {
    return this.node.gid;
  }
  get idsMapped(): boolean {
    return this.node.unmapped !== true;
  }

  stat(): Filestat {
    const n = this.node;
    let nlink = 1;
    let size = 0;
    if (n.kind === 'dir') {
      nlink = layerDirNlink(n);
      size = 4096;
    } else {
      nlink = layerIndex(this.fs.tree).nlink.get(n) ?? 1;
      size = n.kind === 'file' ? n.size : utf8Length(n.target);
    }
    return {
      dev: this.fs.sb.dev,
      ino: this.ino,
      filetype: this.type,
      nlink: BigInt(nlink),
      size: BigInt(size),
      atim: n.mtimeNs,
      mtim: n.mtimeNs,
      ctim: n.mtimeNs,
      mode: n.mode,
      uid: n.uid,
      gid: n.gid,
    };
  }

  override setTimes(): void {
    throw E.ROFS;
  }
  override parentDir(): Inode {
    if (this.node.kind !== 'dir') throw E.NOTDIR;
    return this.parent ?? this;
  }
  override lookup(name: string): Inode | undefined {
    if (this.node.kind !== 'dir') throw E.NOTDIR;
    const c = this.node.entries.get(name);
    if (c === undefined || c.kind === 'whiteout') return undefined;
    return this.fs.inodeOf(c, this);
  }
  override readdir(after: number, max: number): InodeDirEntry[] {
    const dir = this.node as LayerDir;
    if (this.sorted === null) this.sorted = [...dir.entries];
    const out: InodeDirEntry[] = [];
    for (let i = Math.max(0, after - FIRST_SEQ + 1); i < this.sorted.length && out.length < max; i++) {
      const [name, c] = this.sorted[i];
      if (c.kind === 'whiteout') continue;
      out.push({ name, ino: this.fs.inodeOf(c, this).ino, type: layerFileType(c), seq: FIRST_SEQ + i });
    }
    return out;
  }
  override readlink(): string {
    if (this.node.kind !== 'symlink') throw E.INVAL;
    return this.node.target;
  }
  override size(): number {
    return this.node.kind === 'file' ? this.node.size : 0;
  }
  override readAt(pos: number, max: number): Uint8Array {
    if (this.node.kind !== 'file') throw E.INVAL;
    return layerFileRead(this.node.data, this.node.size, pos, max);
  }
  override writeAt(): number {
    throw E.ROFS;
  }
  override truncate(): void {
    throw E.ROFS;
  }
  override open(req: OpenRequest): OpenFile {
    if (this.node.kind !== 'file') throw E.NXIO;
    if (req.mode.write) throw E.ROFS;
    return new RegularDescription(req);
  }
}

/** A read-only filesystem over one LayerTree. */
export class LayerFs implements FileSystem {
  readonly sb: SuperBlock;
  readonly root: LayerInode;
  readonly source: string;
  private readonly inodes = new Map<LayerNode, LayerInode>();

  constructor(readonly tree: LayerTree, clock: Clock) {
    this.sb = new SuperBlock('layerfs', clock, true);
    this.source = tree.id;
    this.root = new LayerInode(this, tree.root, this.sb.nextIno(), null);
    this.inodes.set(tree.root, this.root);
  }

  /** The inode of `node` (one per node: hard links share it). */
  inodeOf(node: LayerNode, parent: LayerInode): LayerInode {
    let ino = this.inodes.get(node);
    if (ino === undefined) {
      if (node.kind === 'whiteout') throw E.NOENT;
      ino = new LayerInode(this, node, this.sb.nextIno(), node.kind === 'dir' ? parent : null);
      this.inodes.set(node, ino);
    }
    return ino;
  }
}
