/**
 * Streaming layer unpack, isomorphic (no `node:*` imports: the caller
 * supplies the sha256 hasher; `unpack.ts` wires Node's): compressed bytes → decompress → sha256 (diff ID)
 * and size/ratio caps → tar-stream → {@link LayerTreeBuilder} → an immutable
 * {@link LayerTree}, entirely in memory. The tree is returned only once the
 * whole stream was read, its diff ID verified and every entry accepted, so
 * a failure leaves nothing behind; callers publish it (a snapshot) after.
 */
import tarStream from 'tar-stream';
import type { LayerNode, LayerTree } from '../../../kernel/fs/layer_tree.js';
import { DecompressError, decompressStream, type ByteSource, type Compression, type Decompressors } from './decompress.js';
import type { Digest } from '../content/digest.js';
import { TarFraming } from './tar_framing.js';
import { LayerTreeBuilder, type TarHeader } from './tar_tree.js';
import { UnpackError } from './unpack_error.js';

/** Caps that bound what one layer may cost to unpack. */
export interface UnpackLimits {
  /** Most uncompressed bytes (tar headers included). Default 1 GiB. */
  maxBytes: number;
  /** Most uncompressed/compressed ratio, checked once past `ratioGraceBytes`. Default 250. */
  maxRatio: number;
  /** Uncompressed bytes before the ratio cap applies. Default 32 MiB. */
  ratioGraceBytes: number;
  /** Most tar entries. Default 1,000,000. */
  maxEntries: number;
}

/** The default {@link UnpackLimits}. */
export const DEFAULT_UNPACK_LIMITS: Readonly<UnpackLimits> = Object.freeze({
  maxBytes: 1024 * 1024 * 1024,
  maxRatio: 250,
  ratioGraceBytes: 32 * 1024 * 1024,
  maxEntries: 1_000_000,
});

/** An incremental sha256: `digest()` returns `sha256:<hex>`. */
export interface StreamHasher {
  update(chunk: Uint8Array): void;
  digest(): Digest;
}

/** Options of {@link unpackLayer}. */
export interface UnpackOptions {
  /** Layer media type (a hint: the magic bytes decide the compression). */
  mediaType?: string;
  /** Expected diff ID (sha256 of the uncompressed tar); verified when given. */
  diffId?: Digest;
  /** Decompressors (`nodeDecompressors` in Node); default pure-JS ones. */
  decompressors?: Decompressors;
  /** Overrides of {@link DEFAULT_UNPACK_LIMITS}. */
  limits?: Partial<UnpackLimits>;
  /** Device nodes and fifos: refuse (default) or skip with a warning. */
  devices?: 'refuse' | 'skip';
  /** Lower layers, bottom first (for hard links into them). */
  lowers?: readonly LayerTree[];
  /** Receives each uncompressed chunk (e.g. to keep the tar for a snapshot). */
  onTarChunk?: (chunk: Uint8Array) => void;
  /** Tree id; defaults to the computed diff ID. */
  id?: string;
  /** Where each file's bytes go (`size` bytes); default a fresh Uint8Array. See {@link SlabAllocator}. */
  allocFile?: (size: number) => Uint8Array;
}

/** What {@link unpackLayer} returns. */
export interface UnpackResult {
  tree: LayerTree;
  /** sha256 of the uncompressed stream. */
  diffId: Digest;
  compression: Compression;
  compressedBytes: number;
  uncompressedBytes: number;
  entries: number;
  /** Nodes of lower layers this layer's hard links share, with their path there. */
  borrowed: ReadonlyMap<LayerNode, string>;
  warnings: string[];
}

/** Unpack one layer stream into a LayerTree, hashing with `newHasher()`; throws {@link UnpackError} and publishes nothing on failure. */
export async function unpackLayerWith(src: ByteSource, newHasher: () => StreamHasher, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const limits = { ...DEFAULT_UNPACK_LIMITS, ...opts.limits };
  const warnings: string[] = [];
  const builder = new LayerTreeBuilder({ devices: opts.devices, lowers: opts.lowers, onWarning: (w) => warnings.push(w) });
  const digester = newHasher();
  let compressed = 0;
  let uncompressed = 0;
  let compression: Compression = 'none';

  async function* counted(): ByteSource {
    for await (const c of src) { compressed += c.length; yield c; }
  }
  const plain = decompressStream(counted(), {
    mediaType: opts.mediaType,
    decompressors: opts.decompressors,
    onCompression: (c) => { compression = c; },
  });

  const extract = tarStream.extract();
  const framing = new TarFraming();
  let stopped = false;
  const feed = (async () => {
    try {
      for await (const chunk of plain) {
        if (stopped) return;
        uncompressed += chunk.length;
        if (uncompressed > limits.maxBytes) {
          throw new UnpackError('TOO_LARGE',
            `the layer unpacks to more than ${limits.maxBytes} bytes (the unpack size limit); raise the limit if the image is trusted`);
        }
        if (compression !== 'none' && uncompressed > limits.ratioGraceBytes && uncompressed > compressed * limits.maxRatio) {
          throw new UnpackError('TOO_LARGE',
            `the layer expands more than ${limits.maxRatio}:1 (${compressed} compressed bytes gave ${uncompressed} so far): a decompression bomb? raise the ratio limit if the image is trusted`);
        }
        digester.update(chunk);
        framing.push(chunk);
        opts.onTarChunk?.(chunk);
        if (!extract.write(chunk)) await drained(extract);
      }
      const pad = framing.missingPadding();
      if (pad !== null && pad > 0 && !stopped) {
        // the last entry is complete but the padding and end blocks are missing (umoci 0.4 writes such layers)
        warnings.push('the layer tar ends without its final padding and end-of-archive blocks; accepted as Go\'s tar reader does');
        if (!extract.write(new Uint8Array(pad + 1024))) await drained(extract);
      }
      (extract as unknown as { end(): void }).end();
    } catch (err) {
      extract.destroy(err as Error);
      throw err;
    }
  })();
  feed.catch(() => {});

  try {
    for await (const entry of extract) {
      if (builder.entries >= limits.maxEntries) {
        throw new UnpackError('TOO_MANY_ENTRIES', `the layer has more than ${limits.maxEntries} entries (the unpack limit); raise the limit if the image is trusted`);
      }
      const h = entry.header as TarHeader & { size?: number };
      let data: Uint8Array | undefined;
      if (h.type === 'file' || h.type === 'contiguous-file') {
        const size = h.size ?? 0;
        const dest = opts.allocFile ? opts.allocFile(size) : new Uint8Array(size);
        let n = 0;
        for await (const c of entry as AsyncIterable<Uint8Array>) {
          if (n + c.length > size) throw new UnpackError('BAD_TAR', `entry ${JSON.stringify(h.name)} holds more bytes than its header says; the layer is corrupt`);
          dest.set(c, n);
          n += c.length;
        }
        if (n !== size) throw new UnpackError('BAD_TAR', `entry ${JSON.stringify(h.name)} is truncated; the layer is corrupt`);
        data = dest;
      } else {
        entry.resume();
      }
      builder.add(h, data);
    }
    await feed;
  } catch (err) {
    stopped = true;
    extract.destroy(new Error('unpack stopped'));
    await feed.catch(() => {});
    throw asUnpackError(err);
  }

  const diffId = digester.digest();
  if (opts.diffId !== undefined && opts.diffId !== diffId) {
    throw new UnpackError('DIFF_ID_MISMATCH',
      `the layer's uncompressed content is ${diffId} but the image config lists ${opts.diffId}; the image is corrupt or was tampered with (pull it again)`);
  }
  return {
    tree: builder.finish(opts.id ?? diffId),
    diffId,
    compression,
    compressedBytes: compressed,
    uncompressedBytes: uncompressed,
    entries: builder.entries,
    borrowed: builder.borrowed,
    warnings,
  };
}

/** Resolves when writable `s` drains or closes (listeners removed either way, so repeated waits add none). */
export function drained(s: { once(ev: string, f: () => void): unknown; off(ev: string, f: () => void): unknown; destroyed?: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve();
    const fin = (): void => {
      s.off('drain', fin);
      s.off('close', fin);
      resolve();
    };
    s.once('drain', fin);
    s.once('close', fin);
  });
}


function asUnpackError(err: unknown): UnpackError {
  if (err instanceof UnpackError) return err;
  if (err instanceof DecompressError) return new UnpackError('BAD_COMPRESSION', err.message);
  const msg = err instanceof Error ? err.message : String(err);
  return new UnpackError('BAD_TAR', `the layer is not a valid tar archive (${msg}); pull or load the image again`);
}

/**
 * Packs file bytes into slabs (SharedArrayBuffers where available), so a
 * layer's files share a few buffers: posting the tree to a worker shares
 * them, and no second copy is needed to gather them. Slabs start at 64 KiB
 * and double up to `maxSlab`, so a small layer wastes little; files over a
 * quarter of `maxSlab` get a buffer of their own.
 */
export class SlabAllocator {
  private slab: Uint8Array = new Uint8Array(0);
  private used = 0;
  private nextSize = 64 * 1024;

  constructor(
    private readonly make: (size: number) => Uint8Array = (n) => new Uint8Array(n),
    private readonly maxSlab = 8 * 1024 * 1024,
  ) {}

  /** A `size`-byte view for one file. */
  readonly alloc = (size: number): Uint8Array => {
    if (size > this.maxSlab / 4) return this.make(size);
    if (this.used + size > this.slab.length) {
      while (this.nextSize < size) this.nextSize *= 2;
      this.slab = this.make(this.nextSize);
      this.used = 0;
      this.nextSize = Math.min(this.nextSize * 2, this.maxSlab);
    }
    const out = this.slab.subarray(this.used, this.used + size);
    this.used += size;
    return out;
  };
}
