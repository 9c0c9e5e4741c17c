/**
 * Layer decompression, pluggable so the same unpack code runs in Node and in
 * a browser. A {@link Decompressors} set maps each compression to a
 * streaming transform over byte chunks; {@link defaultDecompressors} uses
 * fflate (gzip) and fzstd (zstd), both pure JS. `decompress_node.ts` swaps
 * in Node's zlib for gzip, which is several times faster.
 *
 * The compression is chosen from the media type when it names one and
 * checked against the stream's magic bytes; the magic bytes win (registries
 * and tools mislabel layers, e.g. a gzip stream typed as plain tar).
 */
import { CodedError } from '../../coded_error.js';

/** A stream of byte chunks. */
export type ByteSource = AsyncIterable<Uint8Array>;

/** The compressions a layer may use. */
export type Compression = 'none' | 'gzip' | 'zstd';

/** A streaming decompressor: compressed chunks in, plain chunks out. */
export type Decompressor = (src: ByteSource) => ByteSource;

/** One decompressor per compression (`none` is always the identity). */
export type Decompressors = Record<Exclude<Compression, 'none'>, Decompressor>;

/** Stable codes of {@link DecompressError}. */
export type DecompressErrorCode = 'DECOMPRESS_FAILED' | 'DECOMPRESS_UNSUPPORTED';

/** A layer stream that could not be decompressed. */
export class DecompressError extends CodedError<DecompressErrorCode> {
  override readonly name = 'DecompressError';
}

/** The compression a layer media type names, or undefined for a type that names none. */
export function compressionOfMediaType(mediaType: string | undefined): Compression | undefined {
  if (!mediaType) return undefined;
  if (mediaType.endsWith('+gzip') || mediaType.endsWith('.tar.gzip')) return 'gzip';
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.tar.zstd')) return 'zstd';
  if (mediaType.endsWith('.tar') || mediaType.endsWith('.diff.tar')) return 'none';
  return undefined;
}

/** The compression of a stream judged from its first bytes (at least 4 for zstd). */
export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) {
    return 'zstd';
  }
  return 'none';
}

/** gzip through fflate's streaming inflater (any environment). */
export const fflateGunzip: Decompressor = (src) => pushToPull(src, async (emit) => {
  // loaded on first use: a page that unpacks no layer with it (a browser's DecompressionStream does gzip) never evaluates it
  const { Gunzip } = await import('fflate');
  const g = new Gunzip((data) => emit(data));
  return (chunk, final) => g.push(chunk, final);
}, 'gzip');

/** zstd through fzstd's streaming decoder (any environment). */
export const fzstdDecompress: Decompressor = (src) => pushToPull(src, async (emit) => {
  const { Decompress: ZstdDecompress } = await import('fzstd');
  const z = new ZstdDecompress((data) => emit(data));
  return (chunk, final) => z.push(chunk, final);
}, 'zstd');

/** Pure-JS decompressors, usable in a browser. */
export const defaultDecompressors: Decompressors = { gzip: fflateGunzip, zstd: fzstdDecompress };

/**
 * gzip through the platform's `DecompressionStream` (browsers, Deno, Node
 * 18+): native speed without Node's zlib. Undefined where it is missing.
 */
export const webGunzip: Decompressor | undefined = typeof DecompressionStream === 'function'
  ? (src) => (async function* () {
    const ds = new DecompressionStream('gzip');
    const writer = ds.writable.getWriter();
    const pump = (async () => {
      try {
        for await (const c of src) await writer.write(c as Uint8Array<ArrayBuffer>);
        await writer.close();
      } catch (err) {
        await writer.abort(err).catch(() => {});
        throw err;
      }
    })();
    pump.catch(() => {});
    const reader = ds.readable.getReader();
    let finished = false;
    try {
      for (;;) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (err) {
          await pump; // an error of the source wins over the decoder's
          throw new DecompressError('DECOMPRESS_FAILED', `the gzip stream is corrupt or truncated (${(err as Error).message}); pull or load the image again`);
        }
        if (r.done) break;
        yield r.value;
      }
      finished = true;
      await pump;
    } finally {
      if (!finished) await reader.cancel().catch(() => {}); // stops the pump too
      reader.releaseLock();
    }
  })()
  : undefined;

/** The best decompressors a browser offers: DecompressionStream for gzip where present, else fflate. */
export const browserDecompressors: Decompressors = { gzip: webGunzip ?? fflateGunzip, zstd: fzstdDecompress };

/** Options of {@link decompressStream}. */
export interface DecompressOptions {
  /** The layer's media type; its compression is a hint checked against the magic bytes. */
  mediaType?: string;
  /** Decompressors to use; defaults to {@link defaultDecompressors}. */
  decompressors?: Decompressors;
  /** Called once with the compression chosen. */
  onCompression?: (c: Compression) => void;
}

/**
 * Decompress `src`, choosing the algorithm from its magic bytes (the media
 * type is only a hint). Plain tar passes through unchanged.
 */
export async function* decompressStream(src: ByteSource, opts: DecompressOptions = {}): ByteSource {
  const it = src[Symbol.asyncIterator]();
  // Peek at least 4 bytes for the magic number.
  const head: Uint8Array[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < 4) {
    const r = await it.next();
    if (r.done) { done = true; break; }
    if (r.value.length === 0) continue;
    head.push(r.value);
    headLen += r.value.length;
  }
  const first = concatChunks(head, headLen);
  const compression = headLen === 0 ? (compressionOfMediaType(opts.mediaType) ?? 'none') : sniffCompression(first);
  opts.onCompression?.(compression);
  const rest: ByteSource = {
    async *[Symbol.asyncIterator]() {
      if (first.length) yield first;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    },
  };
  if (compression === 'none') {
    yield* rest;
    return;
  }
  const d = (opts.decompressors ?? defaultDecompressors)[compression];
  yield* d(rest);
}

/** Concatenate chunks into one array (no copy for a single chunk). */
export function concatChunks(chunks: Uint8Array[], total?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const n = total ?? chunks.reduce((a, c) => a + c.length, 0);
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.length; }
  return out;
}

/**
 * Turn a push-style decoder (fflate, fzstd) into a pull-style async stream.
 * `make` receives the emit callback and resolves to the push function.
 */
async function* pushToPull(
  src: ByteSource,
  make: (emit: (d: Uint8Array) => void) => Promise<(chunk: Uint8Array, final: boolean) => void>,
  name: string,
): ByteSource {
  const out: Uint8Array[] = [];
  const raw = await make((d) => { if (d.length) out.push(d); });
  const push = (chunk: Uint8Array, final: boolean): void => {
    try {
      raw(chunk, final);
    } catch (err) {
      throw new DecompressError('DECOMPRESS_FAILED',
        `the ${name} stream is corrupt (${(err as Error).message}); pull or load the image again`);
    }
  };
  for await (const chunk of src) {
    push(chunk, false);
    while (out.length) yield out.shift()!;
  }
  push(new Uint8Array(0), true);
  while (out.length) yield out.shift()!;
}
