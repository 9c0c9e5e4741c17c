/**
 * Node's decompressors: zlib's native gunzip (several times faster than
 * fflate) and fzstd for zstd (Node 20's zlib has no zstd). Use
 * {@link nodeDecompressors} wherever `node:*` imports are allowed.
 */
import { Readable, PassThrough, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DecompressError, fzstdDecompress, type ByteSource, type Decompressor, type Decompressors } from './decompress.js';

/** gzip through Node's zlib. */
export const zlibGunzip: Decompressor = (src: ByteSource): ByteSource => {
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  const out = new PassThrough({ highWaterMark: 64 * 1024 });
  pipeline(Readable.from(src, { objectMode: false }), gunzip, out, () => {});
  return (async function* () {
    try {
      for await (const chunk of out) yield chunk as Uint8Array;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code && String(e.code).startsWith('Z_')) {
        throw new DecompressError('DECOMPRESS_FAILED',
          `the gzip stream is corrupt or truncated (${e.message}); pull or load the image again`);
      }
      throw err;
    } finally {
      out.destroy();
    }
  })();
};

/** The decompressors to use in Node. */
export const nodeDecompressors: Decompressors = { gzip: zlibGunzip, zstd: fzstdDecompress };
