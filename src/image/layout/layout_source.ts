/**
 * Where `load` reads an image from: a directory (an OCI image layout, or an
 * unpacked docker-archive) or an archive of one (tar, optionally gzip or
 * zstd compressed). Both look the same to the importer: small files are
 * read by name, blobs are put into the content store by name.
 *
 * A directory is read lazily: only the files the image refers to are
 * copied into the store, each checked against its digest. An archive is
 * read in one streaming pass. Only the entries an importer can use are
 * kept: `oci-layout`, `index.json` and `manifest.json` in memory (each
 * capped), blobs (`blobs/sha256/<hex>`, verified against the name, and a
 * docker-archive's `<hex>.json`, `<hex>.tar`, `<id>/layer.tar`) streamed
 * into the content store; anything else is skipped unread. The pass obeys
 * the layer unpack's caps ({@link DEFAULT_UNPACK_LIMITS}: total
 * uncompressed bytes, expansion ratio, entries) and refuses an entry whose
 * header already breaks one before ingesting a byte of it. A refused scan
 * removes what it stored; `cleanup` afterwards deletes what this import
 * added but no image uses.
 * Entry names are checked as layer entries are: a `..` component is refused.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import tarStream from 'tar-stream';
import type { ContentStore } from '../content/content_store.js';
import { decompressStream, type Compression } from '../snapshot/decompress.js';
import { nodeDecompressors } from '../snapshot/decompress_node.js';
import { isDigest, sha256Digest, type Digest } from '../content/digest.js';
import { putBytes, putStream } from './layout_ingest.js';
import { MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE } from '../content/manifest.js';
import { entryComponents } from '../snapshot/tar_tree.js';
import { DEFAULT_UNPACK_LIMITS, drained, type UnpackLimits } from '../snapshot/unpack_core.js';
import { CodedError } from '../../coded_error.js';

/** Stable codes of {@link LayoutError}. */
export type LayoutErrorCode = 'NOT_FOUND' | 'UNKNOWN_FORMAT' | 'INVALID' | 'MISSING_BLOB' | 'DIGEST_MISMATCH' | 'UNSAFE_PATH' | 'TOO_LARGE';

/** An image layout or archive that cannot be imported or written. */
export class LayoutError extends CodedError<LayoutErrorCode> {
  override readonly name = 'LayoutError';
}

/** A stored file: its digest and size in the content store. */
export interface StoredFile {
  digest: Digest;
  size: number;
}

/** A layout to import from. */
export interface LayoutSource {
  /** What it is, for messages. */
  readonly what: string;
  /** True if `name` exists as a regular file. */
  has(name: string): Promise<boolean>;
  /** The whole of a small file, or undefined if absent; throws INVALID past `max` bytes. */
  read(name: string, max: number): Promise<Uint8Array | undefined>;
  /** Put the file into the content store (checked against `expected` when given). */
  store(name: string, expected?: Digest): Promise<StoredFile>;
  /** Digests this source committed that were not in the store before. */
  readonly added: ReadonlySet<Digest>;
}

/** The digest a `blobs/<alg>/<hex>` path names, if it names one. */
export function digestOfBlobPath(name: string): Digest | undefined {
  const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
  return m ? `sha256:${m[1]}` : undefined;
}

function normName(name: string): string {
  try {
    return entryComponents(name, 'archive entry').join('/');
  } catch (err) {
    throw new LayoutError('UNSAFE_PATH', (err as Error).message);
  }
}

/** A directory source (OCI layout dir or extracted docker-archive). */
export class DirSource implements LayoutSource {
  readonly added = new Set<Digest>();
  readonly what: string;

  constructor(private readonly dir: string, private readonly content: ContentStore) {
    this.what = `directory ${dir}`;
  }

  private async resolve(name: string): Promise<string | undefined> {
    const file = path.join(this.dir, normName(name));
    try {
      const real = await fsp.realpath(file);
      const base = await fsp.realpath(this.dir);
      if (real !== base && !real.startsWith(base + path.sep)) {
        throw new LayoutError('UNSAFE_PATH', `${name} in ${this.what} leads outside the directory (a symlink); refusing it`);
      }
      return (await fsp.stat(real)).isFile() ? real : undefined;
    } catch (err) {
      if (err instanceof LayoutError) throw err;
      return undefined;
    }
  }

  async has(name: string): Promise<boolean> {
    return (await this.resolve(name)) !== undefined;
  }

  async read(name: string, max: number): Promise<Uint8Array | undefined> {
    const file = await this.resolve(name);
    if (!file) return undefined;
    const st = await fsp.stat(file);
    if (st.size > max) throw new LayoutError('INVALID', `${name} in ${this.what} is ${st.size} bytes, over the ${max}-byte limit for it`);
    return fsp.readFile(file);
  }

  async store(name: string, expected?: Digest): Promise<StoredFile> {
    const file = await this.resolve(name);
    if (!file) throw new LayoutError('MISSING_BLOB', `${this.what} has no ${name}; the layout is incomplete (copy it again)`);
    const size = (await fsp.stat(file)).size;
    if (expected && (await this.content.has(expected))) return { digest: expected, size };
    try {
      const r = await putStream(this.content, createReadStream(file, { highWaterMark: 1 << 20 }), { expected, size });
      if (!r.existed) this.added.add(r.digest);
      return { digest: r.digest, size: r.size };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'DIGEST_MISMATCH' || code === 'SIZE_MISMATCH') {
        throw new LayoutError('DIGEST_MISMATCH', `${name} in ${this.what} does not match its digest ${expected}; the layout is corrupt`);
      }
      throw err;
    }
  }
}

/** The caps of an archive scan: the layer unpack's (see unpack_core.ts). */
export type ArchiveLimits = Pick<UnpackLimits, 'maxBytes' | 'maxRatio' | 'ratioGraceBytes' | 'maxEntries'>;

/** What a scan does with one regular-file entry, and the most bytes it may declare. */
export type EntryUse = { keep: 'memory' | 'store'; max: number } | { keep: 'skip' };

const DOCKER_CONFIG = /^[a-f0-9]{64}\.json$/;
const DOCKER_LAYER = /^[a-f0-9]{64}(\.tar|\/layer\.tar)$/;

/** How an archive entry named `name` is used: the layout's small files, blobs, or skipped unread. */
export function archiveEntryUse(name: string, maxBytes: number): EntryUse {
  if (name === 'oci-layout') return { keep: 'memory', max: 4096 };
  if (name === 'index.json' || name === 'manifest.json') return { keep: 'memory', max: MAX_MANIFEST_SIZE };
  if (digestOfBlobPath(name) || DOCKER_LAYER.test(name)) return { keep: 'store', max: maxBytes };
  if (DOCKER_CONFIG.test(name)) return { keep: 'store', max: MAX_CONFIG_SIZE };
  return { keep: 'skip' }; // repositories, <id>/json, <id>/VERSION, anything else: no importer reads them
}

/** An archive source: one streaming pass stores every blob, then lookups are by name. */
export class ArchiveSource implements LayoutSource {
  readonly added = new Set<Digest>();
  private readonly files = new Map<string, StoredFile>();
  private readonly small = new Map<string, Uint8Array>();
  private readonly links = new Map<string, string>();
  private readonly mismatched = new Set<string>();

  private constructor(readonly what: string, private readonly content: ContentStore, private readonly limits: ArchiveLimits) {}

  /** Read `file` (tar, tar.gz or tar.zst) into the content store; on failure nothing it stored stays. */
  static async open(file: string, content: ContentStore, limits: Partial<ArchiveLimits> = {}): Promise<ArchiveSource> {
    const src = new ArchiveSource(`archive ${file}`, content, { ...DEFAULT_UNPACK_LIMITS, ...limits });
    try {
      // small reads: the ratio cap counts compressed bytes as the decompressor pulls them
      await src.scan(createReadStream(file, { highWaterMark: 64 * 1024 }));
    } catch (err) {
      await cleanupSource(src, content, new Set());
      throw err;
    }
    return src;
  }

  private async scan(input: AsyncIterable<Uint8Array>): Promise<void> {
    const lim = this.limits;
    let refusal: LayoutError | undefined;
    const refuse = (why: string): LayoutError =>
      (refusal ??= new LayoutError('TOO_LARGE', `${this.what} ${why}; refused (an archive bomb?), nothing was loaded`));
    let compressed = 0;
    let uncompressed = 0;
    let compression: Compression = 'none';
    async function* counted(): AsyncIterable<Uint8Array> {
      for await (const c of input) {
        compressed += c.length;
        yield c;
      }
    }
    const extract = tarStream.extract();
    const plain = decompressStream(counted(), { decompressors: nodeDecompressors, onCompression: (c) => { compression = c; } });
    const feed = (async () => {
      try {
        for await (const c of plain) {
          if (extract.destroyed) return; // the reader stopped: stop decompressing too
          uncompressed += c.length;
          if (uncompressed > lim.maxBytes) throw refuse(`unpacks to more than ${lim.maxBytes} bytes (the load size limit)`);
          if (compression !== 'none' && uncompressed > lim.ratioGraceBytes && uncompressed > compressed * lim.maxRatio) {
            throw refuse(`expands more than ${lim.maxRatio}:1 (${compressed} compressed bytes gave ${uncompressed} so far)`);
          }
          if (!extract.write(c)) await drained(extract);
        }
        (extract as unknown as { end(): void }).end();
      } catch (err) {
        extract.destroy(err as Error);
      }
    })();
    let entries = 0;
    let declared = 0;
    try {
      for await (const entry of extract) {
        if (++entries > lim.maxEntries) throw refuse(`has more than ${lim.maxEntries} entries (the load limit)`);
        const h = entry.header;
        const name = normName(h.name);
        const body = entry as AsyncIterable<Uint8Array>;
        if (h.type === 'file' || h.type === 'contiguous-file') {
          const size = h.size ?? 0;
          const use = archiveEntryUse(name, lim.maxBytes);
          if (use.keep !== 'skip' && size > use.max) throw refuse(`holds ${name} of ${size} bytes, over the ${use.max}-byte limit for it`);
          declared += size;
          if (declared > lim.maxBytes) throw refuse(`declares more than ${lim.maxBytes} bytes of files (the load size limit; ${name} is ${size})`);
          if (use.keep === 'skip') {
            entry.resume();
            continue;
          }
          if (use.keep === 'memory') {
            const parts: Uint8Array[] = [];
            for await (const c of body) parts.push(c);
            this.small.set(name, Buffer.concat(parts));
            continue;
          }
          const expected = digestOfBlobPath(name);
          try {
            const r = await putStream(this.content, body, { expected, size });
            if (!r.existed) this.added.add(r.digest);
            this.files.set(name, { digest: r.digest, size: r.size });
          } catch (err) {
            const code = (err as { code?: string }).code;
            if (refusal || (code !== 'DIGEST_MISMATCH' && code !== 'SIZE_MISMATCH')) throw err;
            this.mismatched.add(name); // reported only if the image uses it
            entry.resume();
          }
        } else {
          if ((h.type === 'symlink' || h.type === 'link') && h.linkname) {
            const target = h.type === 'symlink' ? path.posix.join(path.posix.dirname(name), h.linkname) : h.linkname;
            this.links.set(name, normName(target));
          }
          entry.resume();
        }
      }
    } catch (err) {
      if (!extract.destroyed) extract.destroy();
      await feed;
      if (refusal) throw refusal;
      if (err instanceof LayoutError) throw err;
      throw new LayoutError('INVALID', `${this.what} is not a readable tar archive (${(err as Error).message})`);
    }
    await feed;
    if (refusal) throw refusal;
  }

  /** The canonical name `name` refers to (following links), if it is a file. */
  private lookup(name: string): string | undefined {
    let n = normName(name);
    for (let i = 0; i < 16; i++) {
      if (this.files.has(n) || this.small.has(n) || this.mismatched.has(n)) return n;
      const next = this.links.get(n);
      if (!next) return undefined;
      n = next;
    }
    return undefined;
  }

  async has(name: string): Promise<boolean> {
    return this.lookup(name) !== undefined;
  }

  async read(name: string, max: number): Promise<Uint8Array | undefined> {
    const n = this.lookup(name);
    if (n === undefined) return undefined;
    const small = this.small.get(n);
    const size = small?.length ?? this.files.get(n)?.size ?? 0;
    if (size > max) throw new LayoutError('INVALID', `${name} in ${this.what} is ${size} bytes, over the ${max}-byte limit for it`);
    if (small) return small;
    return this.content.readAll((await this.store(n)).digest, max);
  }

  async store(name: string, expected?: Digest): Promise<StoredFile> {
    const n = this.lookup(name);
    if (n === undefined) throw new LayoutError('MISSING_BLOB', `${this.what} has no ${name}; the archive is incomplete`);
    if (this.mismatched.has(n)) {
      throw new LayoutError('DIGEST_MISMATCH', `${name} in ${this.what} does not match its digest; the archive is corrupt`);
    }
    let f = this.files.get(n);
    if (!f) {
      const bytes = this.small.get(n)!;
      const had = await this.content.has(sha256Digest(bytes));
      f = { digest: await putBytes(this.content, bytes), size: bytes.length };
      if (!had) this.added.add(f.digest);
      this.files.set(n, f);
    }
    if (expected && f.digest !== expected) {
      throw new LayoutError('DIGEST_MISMATCH', `${name} in ${this.what} has digest ${f.digest}, not ${expected}; the archive is corrupt`);
    }
    return f;
  }
}

/** Open `input` (a directory or an archive file) as a layout source. */
export async function openLayoutSource(input: string, content: ContentStore, limits?: Partial<ArchiveLimits>): Promise<LayoutSource> {
  let st;
  try {
    st = await fsp.stat(input);
  } catch {
    throw new LayoutError('NOT_FOUND', `${input} does not exist; give an OCI layout directory or an oci-archive/docker-archive file`);
  }
  if (st.isDirectory()) return new DirSource(input, content);
  return ArchiveSource.open(input, content, limits);
}

/** Delete what `src` added to the store that is not in `keep` (after an import, or all of it after a failure). */
export async function cleanupSource(src: LayoutSource, content: ContentStore, keep: ReadonlySet<Digest>): Promise<void> {
  for (const d of src.added) {
    if (keep.has(d) || !isDigest(d)) continue;
    await content.delete(d).catch(() => {});
  }
}
