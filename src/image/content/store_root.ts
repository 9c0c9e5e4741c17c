/**
 * The store root: where wasmvisor keeps content and image names, and the
 * image metadata store (name → manifest or index descriptor).
 *
 * Root: `--root`, else `$WASMVISOR_ROOT`, else `$XDG_DATA_HOME/wasmvisor`,
 * else `~/.local/share/wasmvisor`. Under it:
 * ```
 * content/      the content store (see content_store.ts)
 * images.json   { "version": 1, "images": { NAME: ImageRecord } }, replaced atomically
 *               (read into a Map: a name such as `constructor` or `__proto__` is only ever a key)
 * images.lock   held while images.json is read-modified-written
 * ```
 * Other parts of the pipeline (snapshots, unpacked layers) keep their own
 * subdirectories under the same root.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { FsContentStore, tryLock, writeFileAtomic } from './content_store.js';
import type { Digest } from './digest.js';
import type { Descriptor } from './manifest.js';
import { CodedError } from '../../coded_error.js';

/** Stable codes of {@link StoreError}. */
export type StoreErrorCode = 'IMAGE_NOT_FOUND' | 'LOCKED' | 'CORRUPT';

/** An image metadata store failure. */
export class StoreError extends CodedError<StoreErrorCode> {
  override readonly name = 'StoreError';
}

/** The store directory (store_path.ts, which loads none of the store). */
export { resolveStoreRoot } from './store_path.js';

/** One named image: what its name points at. */
export interface ImageRecord {
  /** Full normalised reference, e.g. `docker.io/library/hello:latest` or `host:5000/repo@sha256:…`. */
  name: string;
  /** The manifest or index the name points at. */
  target: Descriptor;
  /** ISO 8601 time the name was first created. */
  createdAt: string;
  /** ISO 8601 time the name was last changed. */
  updatedAt: string;
  /** Free-form labels (e.g. the platform chosen at pull time). */
  labels?: Record<string, string>;
}

interface ImagesFile {
  version: 1;
  images: Record<string, ImageRecord>;
}

/** The name index in memory: a Map, never a plain object, so no name meets Object.prototype. */
export type ImageIndex = Map<string, ImageRecord>;

/** Name → manifest/index, in `<root>/images.json`, each change written atomically under a lock. */
export class ImageStore {
  private readonly file: string;
  private readonly lockFile: string;

  constructor(readonly root: string) {
    this.file = path.join(root, 'images.json');
    this.lockFile = path.join(root, 'images.lock');
  }

  private async read(): Promise<ImageIndex> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as ImagesFile;
      if (parsed.version !== 1 || typeof parsed.images !== 'object' || parsed.images === null || Array.isArray(parsed.images)) throw new Error('bad shape');
      // JSON.parse makes every key (even `__proto__`) an own property; Object.entries reads only those
      return new Map(Object.entries(parsed.images));
    } catch {
      throw new StoreError('CORRUPT', `${this.file} is not a wasmvisor image list; move it away and pull the images again`);
    }
  }

  /** Every named image, sorted by name. */
  async list(): Promise<ImageRecord[]> {
    const images = await this.read();
    return [...images.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The record for `name`, or undefined. */
  async get(name: string): Promise<ImageRecord | undefined> {
    return (await this.read()).get(name);
  }

  /** Point `name` at `target` (creating or replacing it); returns the record. */
  async put(name: string, target: Descriptor, labels?: Record<string, string>): Promise<ImageRecord> {
    let rec!: ImageRecord;
    await this.update((images) => {
      const now = new Date().toISOString();
      const old = images.get(name);
      rec = { name, target, createdAt: old && old.target.digest === target.digest ? old.createdAt : now, updatedAt: now };
      if (labels && Object.keys(labels).length > 0) rec.labels = labels;
      images.set(name, rec);
    });
    return rec;
  }

  /** Remove `name`; resolves to the removed record, or undefined if there was none. */
  async delete(name: string): Promise<ImageRecord | undefined> {
    let removed: ImageRecord | undefined;
    await this.update((images) => {
      removed = images.get(name);
      images.delete(name);
    });
    return removed;
  }

  /** Every digest some name points at (the roots of garbage collection). */
  async targets(): Promise<Set<Digest>> {
    return new Set((await this.list()).map((r) => r.target.digest));
  }

  /** Read-modify-write `images.json` under the lock; `fn` mutates the map in place. */
  async update(fn: (images: ImageIndex) => void): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true });
    const deadline = Date.now() + 10_000;
    let delay = 5;
    while (!(await tryLock(this.lockFile))) {
      if (Date.now() > deadline) {
        throw new StoreError('LOCKED', `${this.lockFile} is held by another wasmvisor process; wait for it to finish`);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 100);
    }
    try {
      const images = await this.read();
      fn(images);
      // Object.fromEntries defines own data properties (a `__proto__` key stays a key)
      const data: ImagesFile = { version: 1, images: Object.fromEntries(images) };
      await writeFileAtomic(this.file, JSON.stringify(data, null, 2) + '\n');
    } finally {
      await fsp.rm(this.lockFile, { force: true });
    }
  }
}

/** A store root opened: its content store and image names. */
export interface Store {
  root: string;
  content: FsContentStore;
  images: ImageStore;
}

/** Open (creating its directories) the store at `root`. */
export async function openStore(root: string): Promise<Store> {
  const content = new FsContentStore(root);
  await fsp.mkdir(content.blobDir, { recursive: true });
  await fsp.mkdir(content.ingestDir, { recursive: true });
  return { root, content, images: new ImageStore(root) };
}
