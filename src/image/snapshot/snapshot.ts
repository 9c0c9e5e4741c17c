/**
 * Snapshots: unpacked, immutable layer trees keyed by chain ID and shared
 * by every image and container that stacks the same layers.
 *
 * `prepare(layers)` walks an image's layers bottom up. For each chain ID it
 * uses, in order: the in-memory cache, the on-disk snapshot, or an unpack of
 * the layer blob from the content store (diff ID verified). A fresh unpack
 * is written to a private temporary directory and published with one
 * rename, so a crash or a refused layer leaves no half snapshot; two
 * processes unpacking the same layer both succeed and one copy stays.
 * Concurrent `prepare` calls in one process share one unpack per chain ID.
 *
 * On disk, under `<root>/snapshots/sha256/<chain hex>/`:
 * ```
 * meta.json    chain ID, diff ID, parent, layer digest, sizes, creation time
 * index.json   the tree (see snapshot_codec.ts)
 * data         every file's bytes back to back
 * owners/<h>   one file per owner (e.g. an image manifest digest) holding its name
 * ```
 * `retain`/`release` add and remove owners; `prune` removes snapshots with
 * no owner (and not in a caller-given keep set), for `wasmvisor prune`.
 */
import { promises as fsp } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { LayerNode, LayerTree } from '../../../kernel/fs/layer_tree.js';
import { chainIds } from './chain_id.js';
import { pidAlive, tryLock } from '../content/content_files.js';
import type { Provider } from '../content/content_store.js';
import type { Decompressors } from './decompress.js';
import { nodeDecompressors } from './decompress_node.js';
import { digestHex, isDigest, type Digest } from '../content/digest.js';
import type { Descriptor } from '../content/manifest.js';
import { WASM_LAYER_TYPES, TAR_LAYER_TYPES } from '../content/media_types.js';
import { decodeTree, encodeTreeParts, sharedBytes, type EncodedTree } from './snapshot_codec.js';
import { lookupInLowers } from './tar_tree.js';
import { SlabAllocator, unpackLayer, type UnpackLimits } from './unpack.js';
import { wasmLayerTree } from './unpack_wasm.js';
import { CodedError } from '../../coded_error.js';

/** Stable codes of {@link SnapshotError}. */
export type SnapshotErrorCode = 'UNSUPPORTED_LAYER' | 'CORRUPT' | 'MISMATCH';

/** A snapshot that cannot be prepared or read (unpack failures are UnpackError). */
export class SnapshotError extends CodedError<SnapshotErrorCode> {
  override readonly name = 'SnapshotError';
}

/** One layer of an image, as `prepare` needs it. */
export interface LayerSource {
  /** The layer blob in the content store. */
  descriptor: Descriptor;
  /** Its diff ID from the config (`rootfs.diff_ids`); for a Wasm module layer, the blob digest. */
  diffId: Digest;
}

/** What the store knows about one snapshot on disk. */
export interface SnapshotInfo {
  chainId: Digest;
  diffId: Digest;
  parent?: Digest;
  layerDigest: Digest;
  mediaType: string;
  /** File bytes held. */
  bytes: number;
  createdAt: string;
  owners: string[];
}

/** Options of {@link SnapshotStore}. */
export interface SnapshotStoreOptions {
  decompressors?: Decompressors;
  limits?: Partial<UnpackLimits>;
  devices?: 'refuse' | 'skip';
  /** Receives unpack warnings. */
  onWarning?: (message: string) => void;
  /** Keep snapshots on disk (default true); false = memory only. */
  persist?: boolean;
  /**
   * With persistence on, the in-memory cache holds this many recently used
   * trees strongly (default 16) and the others weakly: a tree stays shared
   * while any container holds it, and is read back from disk once none does.
   */
  keepRecent?: number;
  /**
   * Hold file bytes in one SharedArrayBuffer per layer (default true), so a
   * tree posted to a Sentry worker shares its bytes instead of copying them.
   */
  sharedMemory?: boolean;
}

/** Options of {@link SnapshotStore.prepare}. */
export interface PrepareOptions {
  /** Record this owner on every snapshot of the stack. */
  owner?: string;
  /** Called when a layer is unpacked (not when it came from a cache). */
  onUnpacked?: (chainId: Digest, ms: number) => void;
}

/** Snapshots under `<root>/snapshots`, plus an in-memory cache shared by the process. */
export class SnapshotStore {
  private readonly cache: TreeCache;
  private readonly inflight = new Map<Digest, Promise<LayerTree>>();
  /** `<root>/snapshots/sha256`. */
  readonly dir: string;

  constructor(readonly root: string, private readonly content: Provider, private readonly opts: SnapshotStoreOptions = {}) {
    this.dir = path.join(root, 'snapshots', 'sha256');
    this.cache = new TreeCache(opts.persist === false ? Infinity : (opts.keepRecent ?? 16));
  }

  /** Directory of one snapshot. */
  pathOf(chainId: Digest): string {
    return path.join(this.dir, digestHex(chainId));
  }

  /** The trees of `layers` (bottom first), unpacking only what no cache has. */
  async prepare(layers: readonly LayerSource[], opts: PrepareOptions = {}): Promise<LayerTree[]> {
    const ids = chainIds(layers.map((l) => l.diffId));
    const trees: LayerTree[] = [];
    for (let i = 0; i < layers.length; i++) {
      const chainId = ids[i];
      let p = this.inflight.get(chainId);
      if (!p) {
        const lowers = trees.slice();
        p = this.load(chainId, layers[i], i > 0 ? ids[i - 1] : undefined, lowers, opts);
        this.inflight.set(chainId, p);
        p.finally(() => this.inflight.delete(chainId)).catch(() => {});
      }
      trees.push(await p);
      if (opts.owner) await this.retain(chainId, opts.owner);
    }
    return trees;
  }

  /** The tree of `chainId` from memory or disk, or undefined. */
  async get(chainId: Digest): Promise<LayerTree | undefined> {
    return this.cache.get(chainId) ?? (await this.getWithParents(chainId));
  }

  /** Read `chainId` from disk (or memory), with the whole stack under it first: hard links may point into any of it. */
  private async getWithParents(chainId: Digest): Promise<LayerTree | undefined> {
    const chain: Digest[] = [];
    for (let c: Digest | undefined = chainId; c !== undefined;) {
      if (chain.length > 512) throw new SnapshotError('CORRUPT', `snapshot ${chainId} has more than 512 parents; the store is damaged`);
      chain.unshift(c);
      const meta: SnapshotInfo | undefined = await this.info(c).catch(() => undefined);
      if (!meta) return undefined;
      c = meta.parent;
    }
    const stack: LayerTree[] = [];
    for (const c of chain) {
      const t = this.cache.get(c) ?? (await this.readDisk(c, stack));
      if (!t) return undefined;
      stack.push(t);
    }
    return stack[stack.length - 1];
  }

  /** True if the snapshot exists in memory or on disk. */
  async has(chainId: Digest): Promise<boolean> {
    if (this.cache.has(chainId)) return true;
    return fsp.access(path.join(this.pathOf(chainId), 'meta.json')).then(() => true, () => false);
  }

  /** Add `owner` to the snapshot's owners (idempotent). */
  async retain(chainId: Digest, owner: string): Promise<void> {
    if (this.opts.persist === false) return;
    const dir = path.join(this.pathOf(chainId), 'owners');
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(path.join(dir, ownerKey(owner)), owner);
  }

  /** Remove `owner` from the snapshot's owners (idempotent). */
  async release(chainId: Digest, owner: string): Promise<void> {
    await fsp.rm(path.join(this.pathOf(chainId), 'owners', ownerKey(owner)), { force: true });
  }

  /** Every snapshot on disk. */
  async list(): Promise<SnapshotInfo[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    const out: SnapshotInfo[] = [];
    for (const n of names.sort()) {
      if (!isDigest(`sha256:${n}`)) continue;
      const info = await this.info(`sha256:${n}`).catch(() => undefined);
      if (info) out.push(info);
    }
    return out;
  }

  /** Metadata of one snapshot on disk; throws CORRUPT if unreadable. */
  async info(chainId: Digest): Promise<SnapshotInfo> {
    const dir = this.pathOf(chainId);
    try {
      const meta = JSON.parse(await fsp.readFile(path.join(dir, 'meta.json'), 'utf8')) as Omit<SnapshotInfo, 'owners'>;
      const keys = await fsp.readdir(path.join(dir, 'owners')).catch(() => [] as string[]);
      const owners = await Promise.all(keys.map((k) => fsp.readFile(path.join(dir, 'owners', k), 'utf8')));
      return { ...meta, owners: owners.sort() };
    } catch {
      throw new SnapshotError('CORRUPT', `snapshot ${chainId} in ${dir} is unreadable; remove that directory (it is rebuilt from the layer on next use)`);
    }
  }

  /** Remove one snapshot from disk and memory. */
  async remove(chainId: Digest): Promise<void> {
    this.cache.delete(chainId);
    const dir = this.pathOf(chainId);
    const tmp = path.join(this.root, 'snapshots', `.rm-${randomBytes(6).toString('hex')}`);
    try {
      await fsp.rename(dir, tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await fsp.rm(tmp, { recursive: true, force: true });
  }

  /** Remove every snapshot with no owner and not in `keep`; resolves to the chain IDs removed. */
  async prune(keep: ReadonlySet<string> = new Set()): Promise<Digest[]> {
    const removed: Digest[] = [];
    for (const s of await this.list()) {
      if (s.owners.length > 0 || keep.has(s.chainId)) continue;
      await this.remove(s.chainId);
      removed.push(s.chainId);
    }
    // leftovers of crashed unpacks
    const top = path.join(this.root, 'snapshots');
    for (const n of await fsp.readdir(top).catch(() => [] as string[])) {
      const writer = /^\.tmp-(\d+)-/.exec(n);
      if (writer && pidAlive(Number(writer[1]))) continue; // an unpack in progress in another process
      if (n.startsWith('.tmp-') || n.startsWith('.rm-')) await fsp.rm(path.join(top, n), { recursive: true, force: true });
    }
    return removed;
  }

  /** Forget the in-memory cache (the disk copies stay). */
  dropCache(): void {
    this.cache.clear();
  }

  private async load(chainId: Digest, layer: LayerSource, parent: Digest | undefined, lowers: LayerTree[], opts: PrepareOptions): Promise<LayerTree> {
    const cached = this.cache.get(chainId);
    if (cached) return cached;
    let disk: LayerTree | undefined;
    try {
      disk = await this.readDisk(chainId, lowers);
    } catch (err) {
      if (!(err instanceof SnapshotError)) throw err;
      // a damaged snapshot is rebuilt from the layer; its owners stay
      this.opts.onWarning?.(`snapshot ${chainId} on disk is damaged (${err.message.replace(/; remove that directory.*$/, '')}); rebuilding it from its layer`);
      const dir = this.pathOf(chainId);
      for (const f of ['meta.json', 'index.json', 'data']) await fsp.rm(path.join(dir, f), { force: true });
    }
    if (disk) {
      this.cache.set(chainId, disk);
      return disk;
    }
    const release = this.opts.persist !== false ? await this.lockUnpack(chainId) : undefined;
    try {
      // another process may have written it while we waited for the lock
      const done = release ? await this.readDisk(chainId, lowers).catch(() => undefined) : undefined;
      if (done) {
        this.cache.set(chainId, done);
        return done;
      }
      const t0 = Date.now();
      const { tree, borrowed } = await this.unpack(chainId, layer, lowers);
      if (this.opts.persist !== false) await this.writeDisk(chainId, layer, parent, tree, borrowed);
      this.cache.set(chainId, tree);
      opts.onUnpacked?.(chainId, Date.now() - t0);
      return tree;
    } finally {
      await release?.();
    }
  }

  /**
   * One unpack of a chain ID at a time across processes (a lock file holding
   * the pid; a dead holder's lock is taken over): containers started at once
   * by separate processes unpack a layer once and the others read it back.
   */
  private async lockUnpack(chainId: Digest): Promise<() => Promise<void>> {
    const dir = path.join(this.root, 'snapshots', '.locks');
    await fsp.mkdir(dir, { recursive: true });
    const file = path.join(dir, digestHex(chainId));
    let delay = 5;
    while (!(await tryLock(file))) {
      // a holder whose pid was reused by another process would hold it forever: an hour-old lock is stale
      const st = await fsp.stat(file).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 60 * 60 * 1000) await fsp.rm(file, { force: true });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 200);
    }
    return () => fsp.rm(file, { force: true });
  }

  private async unpack(chainId: Digest, layer: LayerSource, lowers: LayerTree[]): Promise<{ tree: LayerTree; borrowed: ReadonlyMap<LayerNode, string> }> {
    const mt = layer.descriptor.mediaType;
    if (WASM_LAYER_TYPES.has(mt)) {
      const bytes = await this.content.readAll(layer.descriptor.digest, this.opts.limits?.maxBytes ?? 1024 * 1024 * 1024);
      const alloc = this.opts.sharedMemory !== false ? sharedBytes : undefined;
      return { tree: wasmLayerTree(bytes, layer.descriptor, chainId, alloc), borrowed: new Map() };
    }
    if (!TAR_LAYER_TYPES.has(mt) && !mt.endsWith('.diff.tar')) {
      throw new SnapshotError('UNSUPPORTED_LAYER', `layer ${layer.descriptor.digest} has media type ${mt}, which is not a tar or Wasm layer; wasmvisor cannot unpack it`);
    }
    const r = await unpackLayer(this.content.stream(layer.descriptor.digest), {
      mediaType: mt,
      diffId: layer.diffId,
      decompressors: this.opts.decompressors ?? nodeDecompressors,
      limits: this.opts.limits,
      devices: this.opts.devices,
      lowers,
      id: chainId,
      // file bytes go straight into shared slabs: no second copy to share the tree with a Sentry
      allocFile: this.opts.sharedMemory !== false ? new SlabAllocator(sharedBytes).alloc : undefined,
    });
    for (const w of r.warnings) this.opts.onWarning?.(`layer ${layer.descriptor.digest}: ${w}`);
    return { tree: r.tree, borrowed: r.borrowed };
  }

  private async readDisk(chainId: Digest, lowers: readonly LayerTree[]): Promise<LayerTree | undefined> {
    const dir = this.pathOf(chainId);
    let index: EncodedTree;
    try {
      index = JSON.parse(await fsp.readFile(path.join(dir, 'index.json'), 'utf8')) as EncodedTree;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SnapshotError('CORRUPT', `snapshot ${chainId} in ${dir} has an unreadable index; remove that directory (it is rebuilt from the layer on next use)`);
    }
    const top = [...lowers].reverse(); // the layer lookup takes them top first
    try {
      return decodeTree(index, await this.readData(path.join(dir, 'data')), (p) => lookupInLowers(top, p.split('/')));
    } catch (err) {
      throw new SnapshotError('CORRUPT', `snapshot ${chainId} in ${dir} is damaged (${(err as Error).message}); remove that directory`);
    }
  }

  private async readData(file: string): Promise<Uint8Array> {
    if (this.opts.sharedMemory === false) return fsp.readFile(file);
    const fh = await fsp.open(file, 'r');
    try {
      const { size } = await fh.stat();
      const buf = sharedBytes(size);
      let off = 0;
      while (off < size) {
        const { bytesRead } = await fh.read(buf, off, size - off, off);
        if (bytesRead === 0) throw new Error('data file shorter than its size');
        off += bytesRead;
      }
      return buf;
    } finally {
      await fh.close();
    }
  }

  private async writeDisk(
    chainId: Digest, layer: LayerSource, parent: Digest | undefined, tree: LayerTree, borrowed: ReadonlyMap<LayerNode, string>,
  ): Promise<void> {
    const top = path.join(this.root, 'snapshots');
    const tmp = path.join(top, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    await fsp.mkdir(tmp, { recursive: true });
    try {
      const { index, parts } = encodeTreeParts(tree, borrowed);
      const meta: Omit<SnapshotInfo, 'owners'> = {
        chainId, diffId: layer.diffId, layerDigest: layer.descriptor.digest,
        mediaType: layer.descriptor.mediaType, bytes: tree.bytes, createdAt: new Date().toISOString(),
      };
      if (parent) meta.parent = parent;
      const fh = await fsp.open(path.join(tmp, 'data'), 'w');
      try {
        for (let i = 0; i < parts.length; i += 256) {
          const batch = parts.slice(i, i + 256);
          const want = batch.reduce((a, b) => a + b.length, 0);
          const { bytesWritten } = await fh.writev(batch);
          if (bytesWritten !== want) throw new SnapshotError('CORRUPT', `short write of snapshot data in ${tmp} (disk full?)`);
        }
      } finally {
        await fh.close();
      }
      await fsp.writeFile(path.join(tmp, 'index.json'), JSON.stringify(index));
      await fsp.writeFile(path.join(tmp, 'meta.json'), JSON.stringify(meta, null, 2));
      await fsp.mkdir(path.join(tmp, 'owners'));
      await fsp.mkdir(this.dir, { recursive: true });
      const final = this.pathOf(chainId);
      // an owners-only directory may exist from a retain() before the first unpack
      const existing = await fsp.readdir(final).catch(() => undefined);
      if (existing && !existing.includes('meta.json')) {
        for (const o of await fsp.readdir(path.join(final, 'owners')).catch(() => [] as string[])) {
          await fsp.copyFile(path.join(final, 'owners', o), path.join(tmp, 'owners', o));
        }
        await fsp.rm(final, { recursive: true, force: true });
      }
      await fsp.rename(tmp, final).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
        await fsp.rm(tmp, { recursive: true, force: true }); // another process won the race
      });
    } catch (err) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }
}

/**
 * Trees by chain ID: the `strong` most recently used held strongly, the
 * rest through WeakRefs (what containers still use stays findable, and so
 * shared; the rest can be collected and is read back from disk).
 */
class TreeCache {
  private readonly weak = new Map<Digest, WeakRef<LayerTree>>();
  private readonly recent = new Map<Digest, LayerTree>();

  constructor(private readonly strong: number) {}

  get(id: Digest): LayerTree | undefined {
    const t = this.recent.get(id) ?? this.weak.get(id)?.deref();
    if (t === undefined) {
      this.weak.delete(id);
      return undefined;
    }
    this.set(id, t);
    return t;
  }

  has(id: Digest): boolean {
    return this.recent.has(id) || this.weak.get(id)?.deref() !== undefined;
  }

  set(id: Digest, t: LayerTree): void {
    this.recent.delete(id);
    this.recent.set(id, t);
    this.weak.set(id, new WeakRef(t));
    while (this.recent.size > this.strong) this.recent.delete(this.recent.keys().next().value as Digest);
  }

  delete(id: Digest): void {
    this.recent.delete(id);
    this.weak.delete(id);
  }

  clear(): void {
    this.recent.clear();
    this.weak.clear();
  }
}

function ownerKey(owner: string): string {
  return createHash('sha256').update(owner).digest('hex').slice(0, 32);
}
