/**
 * Builds one immutable {@link LayerTree} from tar entries, in tar order,
 * applying the OCI layer rules and refusing hostile entries.
 *
 * Decisions:
 * - Leading `/` is stripped (as GNU tar and containerd do); `.` components
 *   are dropped; any `..` component is refused.
 * - An entry whose parent is a symlink of the same layer is refused (a write
 *   through a symlink: no build tool makes such a layer). A parent that is
 *   a symlink of a lower layer is followed inside the image root (`..`
 *   stops at `/`), as containerd and umoci do; layers made by ko/jib-style
 *   tools over a merged-/usr base rely on it. Symlink targets themselves are
 *   kept verbatim: the kernel resolves them inside the container's root.
 * - A hard link must name a file or symlink already in this layer or, when
 *   the lower layers are given, visible in them; the two names then share
 *   one node. Links to directories, to missing paths, or through a symlink
 *   are refused.
 * - A path listed twice is refused (`DUPLICATE_ENTRY`), except directories,
 *   whose last entry's metadata wins. A real entry and a whiteout of the
 *   same name in one layer: the entry stays; a directory becomes opaque.
 * - Device nodes and fifos are refused by default, or skipped with a warning.
 * - `.wh..wh.*` markers other than the opaque one (aufs metadata) are skipped.
 * - Sparse files (GNU or PAX) and unknown entry types are refused rather
 *   than unpacked with wrong contents; names and resolved paths longer than
 *   PATH_MAX (4096) are refused, which also bounds the tree's depth.
 * - Size caps (uncompressed bytes, compression ratio, entry count) live in
 *   unpack_core.ts.
 */
import type { LayerDir, LayerFile, LayerMeta, LayerNode, LayerSymlink, LayerTree } from '../../../kernel/fs/layer_tree.js';
import { lookupLayers } from '../../../kernel/fs/layer_merge.js';
import { UnpackError } from './unpack_error.js';

/** The parts of a tar header the builder reads (tar-stream's header shape). */
export interface TarHeader {
  name: string;
  type: string | null;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string | null;
  pax?: Record<string, string> | null;
}

/** Options of {@link LayerTreeBuilder}. */
export interface TreeBuilderOptions {
  /** What to do with device nodes and fifos: refuse (default) or skip with a warning. */
  devices?: 'refuse' | 'skip';
  /** Lower layers, bottom first, for hard links to files below this layer. */
  lowers?: readonly LayerTree[];
  /** Receives warnings (skipped entries, ignored markers). */
  onWarning?: (message: string) => void;
}

/** Longest entry name or link target accepted (Linux PATH_MAX). */
const MAX_PATH = 4096;

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';

/** Split a tar entry name into safe components; [] is the layer root. */
export function entryComponents(name: string, what = 'entry'): string[] {
  if (name.includes('\0')) {
    throw new UnpackError('PATH_TRAVERSAL', `${what} ${JSON.stringify(name)} contains a NUL byte; the layer is corrupt or hostile`, name);
  }
  if (name.length > MAX_PATH) {
    throw new UnpackError('UNSUPPORTED_ENTRY', `${what} ${JSON.stringify(name.slice(0, 64))}… is ${name.length} characters long, over the ${MAX_PATH} of PATH_MAX; the layer is corrupt or hostile`, name.slice(0, 256));
  }
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new UnpackError('PATH_TRAVERSAL',
      `${what} ${JSON.stringify(name)} has a ".." component and would land outside the layer; refusing the whole layer (rebuild the image without it)`, name);
  }
  return parts;
}

/** Modification time in ns from a PAX `mtime` record ("secs[.frac]"), else the header's seconds. */
export function mtimeNsOf(h: TarHeader): bigint {
  const pax = h.pax?.mtime;
  if (pax && /^-?\d+(\.\d+)?$/.test(pax)) {
    const neg = pax.startsWith('-');
    const [sec, frac = ''] = (neg ? pax.slice(1) : pax).split('.');
    const ns = BigInt(sec) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
    return neg ? -ns : ns;
  }
  const ms = h.mtime ? h.mtime.getTime() : 0;
  return BigInt(Math.trunc(ms / 1000)) * 1_000_000_000n;
}

function metaOf(h: TarHeader): LayerMeta {
  const num = (pax: string | undefined, v: number | undefined): number =>
    pax !== undefined && /^\d+$/.test(pax) ? Number(pax) : (v ?? 0);
  return {
    mode: (h.mode ?? 0o644) & 0o7777,
    uid: num(h.pax?.uid, h.uid),
    gid: num(h.pax?.gid, h.gid),
    mtimeNs: mtimeNsOf(h),
  };
}

/** Incrementally builds one layer tree; call {@link add} per entry then {@link finish}. */
export class LayerTreeBuilder {
  private readonly root: LayerDir = { kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeNs: 0n, entries: new Map() };
  /** Directories that had an entry of their own (others were made implicitly). */
  private readonly explicit = new Set<LayerDir>();
  private count = 0;
  private readonly borrowedNodes = new Map<LayerNode, string>();

  /** `opts.lowers` top first, as the layer lookup takes them. */
  private readonly lowersTop: readonly LayerTree[];

  constructor(private readonly opts: TreeBuilderOptions = {}) {
    this.lowersTop = [...(opts.lowers ?? [])].reverse();
  }

  /** Nodes of lower layers that hard links of this layer share, with their path there. */
  get borrowed(): ReadonlyMap<LayerNode, string> {
    return this.borrowedNodes;
  }

  /** Number of entries added. */
  get entries(): number {
    return this.count;
  }

  /** Add one tar entry; `data` is the file's content for regular files. */
  add(h: TarHeader, data?: Uint8Array): void {
    this.count++;
    const comps = entryComponents(h.name);
    const type = h.type ?? 'unknown';
    if (h.pax && Object.keys(h.pax).some((k) => k.startsWith('GNU.sparse.'))) {
      throw new UnpackError('UNSUPPORTED_ENTRY', `entry ${JSON.stringify(h.name)} is a GNU sparse file, which wasmvisor does not unpack; rebuild the layer without tar --sparse`, h.name);
    }
    if (comps.length === 0) {
      if (type !== 'directory') throw new UnpackError('CONFLICT', `the layer root is listed as a ${type}; the layer is corrupt`, h.name);
      Object.assign(this.root, metaOf(h));
      this.explicit.add(this.root);
      return;
    }
    const base = comps[comps.length - 1];
    const parent = this.dirFor(comps.slice(0, -1), h.name);
    if (base.startsWith(WH_PREFIX)) return this.whiteout(parent, base, h.name);
    const existing = parent.entries.get(base);
    switch (type) {
      case 'directory': {
        if (existing?.kind === 'dir') {
          Object.assign(existing, metaOf(h));
          this.explicit.add(existing);
          return;
        }
        this.refuseExisting(existing, h.name);
        const dir: LayerDir = { kind: 'dir', ...metaOf(h), entries: new Map() };
        if (existing?.kind === 'whiteout') dir.opaque = true;
        parent.entries.set(base, dir);
        this.explicit.add(dir);
        return;
      }
      case 'file':
      case 'contiguous-file': {
        this.refuseExisting(existing, h.name);
        const bytes = data ?? new Uint8Array(0);
        const file: LayerFile = { kind: 'file', ...metaOf(h), size: bytes.length, data: bytes };
        parent.entries.set(base, file);
        return;
      }
      case 'symlink': {
        this.refuseExisting(existing, h.name);
        const link: LayerSymlink = { kind: 'symlink', ...metaOf(h), target: h.linkname ?? '' };
        parent.entries.set(base, link);
        return;
      }
      case 'link': {
        this.refuseExisting(existing, h.name);
        parent.entries.set(base, this.hardLinkTarget(comps, h));
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        if (this.opts.devices === 'skip') {
          this.opts.onWarning?.(`skipped ${type} ${h.name}: device nodes and fifos are not unpacked (the container's /dev provides devices)`);
          return;
        }
        throw new UnpackError('DEVICE_NODE',
          `entry ${JSON.stringify(h.name)} is a ${type}; images for wasmvisor may not carry device nodes or fifos (rebuild without it, or unpack with devices: 'skip')`, h.name);
      }
      default:
        throw new UnpackError('UNSUPPORTED_ENTRY', `entry ${JSON.stringify(h.name)} has tar type ${type}, which wasmvisor does not unpack; rebuild the layer with plain files`, h.name);
    }
  }

  /** Freeze and return the finished tree (entries sorted by name). */
  finish(id: string): LayerTree {
    const seen = new Set<LayerNode>();
    let bytes = 0;
    const freeze = (n: LayerNode): void => {
      if (seen.has(n)) return;
      seen.add(n);
      if (n.kind === 'dir') {
        const names = [...n.entries.keys()].sort(byteOrder);
        const sorted = new Map<string, LayerNode>();
        for (const k of names) {
          const child = n.entries.get(k)!;
          freeze(child);
          sorted.set(k, child);
        }
        n.entries = sorted;
      } else if (n.kind === 'file') {
        bytes += n.size;
      }
      Object.freeze(n);
    };
    freeze(this.root);
    return Object.freeze({ id, root: this.root, bytes });
  }

  private refuseExisting(existing: LayerNode | undefined, name: string): void {
    if (!existing || existing.kind === 'whiteout') return;
    if (existing.kind === 'dir') {
      throw new UnpackError('CONFLICT', `entry ${JSON.stringify(name)} replaces a directory listed earlier in the same layer; the layer is corrupt`, name);
    }
    throw new UnpackError('DUPLICATE_ENTRY',
      `entry ${JSON.stringify(name)} is listed twice in one layer; wasmvisor refuses such layers (rebuild the image so each path appears once)`, name);
  }

  private whiteout(parent: LayerDir, base: string, full: string): void {
    if (base === WH_OPAQUE) {
      parent.opaque = true;
      return;
    }
    if (base.startsWith(WH_PREFIX + WH_PREFIX)) {
      this.opts.onWarning?.(`ignored aufs marker ${full}`);
      return;
    }
    const name = base.slice(WH_PREFIX.length);
    if (name === '' || name === '.' || name === '..') {
      throw new UnpackError('PATH_TRAVERSAL', `whiteout ${JSON.stringify(full)} names no valid file; the layer is corrupt`, full);
    }
    const existing = parent.entries.get(name);
    if (existing === undefined) parent.entries.set(name, { kind: 'whiteout' });
    else if (existing.kind === 'dir') existing.opaque = true;
    // a file or symlink of this layer already hides the lower one
  }

  /**
   * The directory at `comps`, creating missing ones. A symlink of this layer
   * on the way is refused; a symlink of a lower layer is followed inside
   * the root (`..` stops at `/`), as containerd and umoci do.
   */
  private dirFor(comps: string[], full: string): LayerDir {
    let hops = 0;
    restart: for (;;) {
      let dir = this.root;
      let hidden = dir.opaque === true;
      for (let i = 0; i < comps.length; i++) {
        const c = comps[i];
        const n = dir.entries.get(c);
        if (n === undefined && !hidden) {
          const lower = this.lowerNode(comps.slice(0, i + 1));
          if (lower?.kind === 'symlink') {
            if (++hops > 40) {
              throw new UnpackError('WRITE_THROUGH_SYMLINK', `entry ${JSON.stringify(full)} goes through more than 40 symlinks of lower layers; refusing the layer`, full);
            }
            comps = [...resolveLink(comps.slice(0, i), lower.target), ...comps.slice(i + 1)];
            if (comps.join('/').length > MAX_PATH) {
              throw new UnpackError('UNSUPPORTED_ENTRY', `entry ${JSON.stringify(full)} resolves through lower symlinks to a path over PATH_MAX; refusing the layer`, full);
            }
            continue restart;
          }
        }
        if (n === undefined || n.kind === 'whiteout') {
          const made: LayerDir = { kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeNs: 0n, entries: new Map() };
          if (n?.kind === 'whiteout') made.opaque = true;
          dir.entries.set(c, made);
          dir = made;
        } else if (n.kind === 'dir') {
          dir = n;
        } else if (n.kind === 'symlink') {
          throw new UnpackError('WRITE_THROUGH_SYMLINK',
            `entry ${JSON.stringify(full)} would be written through the symlink ${comps.slice(0, i + 1).join('/')} of the same layer; refusing the layer (it could write outside the tree)`, full);
        } else {
          throw new UnpackError('CONFLICT', `entry ${JSON.stringify(full)} lies under ${comps.slice(0, i + 1).join('/')}, which is a file; the layer is corrupt`, full);
        }
        hidden ||= dir.opaque === true;
      }
      return dir;
    }
  }

  /** The node the lower layers show at `comps` (this layer does not hide it), or undefined. */
  private lowerNode(comps: string[]): LayerNode | undefined {
    return lookupInLowers(this.lowersTop, comps);
  }

  private hardLinkTarget(comps: string[], h: TarHeader): LayerFile | LayerSymlink {
    const target = entryComponents(h.linkname ?? '', 'hard link target of');
    const where = `hard link ${JSON.stringify(h.name)} → ${JSON.stringify(h.linkname)}`;
    if (target.length === 0) throw new UnpackError('UNSAFE_LINK', `${where} points at the root; refusing the layer`, h.name);
    if (target.join('/') === comps.join('/')) {
      throw new UnpackError('DUPLICATE_ENTRY', `${where} links to itself (a path listed twice); rebuild the image so each path appears once`, h.name);
    }
    let node = lookup(this.root, target, where, h.name, true);
    if (node === undefined) {
      node = lookupInLowers(this.lowersTop, target);
      if (node && node.kind !== 'dir') this.borrowedNodes.set(node, target.join('/'));
    }
    if (!node) throw new UnpackError('UNSAFE_LINK', `${where}: the target is not in this layer or below; refusing the layer`, h.name);
    if (node.kind === 'dir' || node.kind === 'whiteout') {
      throw new UnpackError('UNSAFE_LINK', `${where}: hard links to directories are not allowed`, h.name);
    }
    return node;
  }
}

/** The node `lowers` (top first, as the overlay stacks them) show at `comps`, without following symlinks; undefined if none. */
export function lookupInLowers(lowers: readonly LayerTree[], comps: readonly string[]): LayerNode | undefined {
  return lookupLayers(lowers, comps)?.lowers[0];
}

/**
 * Find `comps` in one tree without following symlinks. Returns the node,
 * undefined when absent (look lower), or null when this layer hides it
 * from lower layers (a whiteout, an opaque directory, a non-directory).
 */
function lookup(root: LayerDir, comps: string[], where: string, name: string, refuseSymlink: boolean): LayerNode | undefined | null {
  let dir = root;
  for (let i = 0; i < comps.length; i++) {
    const n = dir.entries.get(comps[i]);
    if (n === undefined) return dir.opaque ? null : undefined;
    if (n.kind === 'whiteout') return null;
    if (i === comps.length - 1) return n;
    if (n.kind === 'symlink' && refuseSymlink) {
      throw new UnpackError('UNSAFE_LINK', `${where} goes through the symlink ${comps.slice(0, i + 1).join('/')}; refusing the layer`, name);
    }
    if (n.kind !== 'dir') return null;
    dir = n;
  }
  return undefined;
}

/** Resolve symlink `target` found in directory `dir` to root-relative components, `..` stopping at the root. */
function resolveLink(dir: string[], target: string): string[] {
  const out = target.startsWith('/') ? [] : dir.slice();
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return out;
}

/** Compare names by UTF-16 code units (stable, locale-free). */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
