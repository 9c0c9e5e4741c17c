/**
 * OCI image layouts and archives as {@link Transport}s: `oci-layout` (a
 * directory), `oci-archive` (the same as a tar file) and `docker-archive`
 * (`docker save`'s format; its images get an OCI manifest built here, as
 * `load` stores them). Pull is `load`'s import (every image the layout
 * holds); push is `save`. Blobs read for resolve and fetch are staged in
 * the content store (verified, unnamed) and dropped by `close`.
 */
import { promises as fsp } from 'node:fs';
import type { ContentStore } from '../content/content_store.js';
import type { Digest } from '../content/digest.js';
import { sha256Digest } from '../content/digest.js';
import { MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, parseConfig, parseManifest, type Descriptor, type ImageManifest } from '../content/manifest.js';
import { MediaType } from '../content/media_types.js';
import type { Store } from '../content/store_root.js';
import { parseReference, type Reference } from '../reference/reference.js';
import { TransportError, verified, type TransferOptions, type TransferredImage, type Transport, type TransportImage, type TransportKind } from '../transport/transport.js';
import { baseName, dockerRepoTags, layerMediaType, loadFromSource, ociName, tagsFromDocker, type DockerManifestEntry } from './load.js';
import { cleanupSource, LayoutError, openLayoutSource, type ArchiveLimits, type LayoutSource } from './layout_source.js';
import { saveImages, type SaveFormat } from './save.js';

type LayoutKind = Extract<TransportKind, 'oci-layout' | 'oci-archive' | 'docker-archive'>;

const SAVE_FORMAT: Record<LayoutKind, SaveFormat> = { 'oci-layout': 'oci-dir', 'oci-archive': 'oci-archive', 'docker-archive': 'docker-archive' };

/** A layout directory or archive at `path`, as a transport. */
export class LayoutTransport implements Transport {
  readonly cached: boolean = false;
  private src: LayoutSource | undefined;
  /** Manifests built for docker-archive images, by digest. */
  private readonly built = new Map<Digest, Uint8Array>();
  /** Blob paths of a docker-archive, by digest (configs and layers). */
  private readonly paths = new Map<Digest, string>();

  constructor(private _kind: LayoutKind, readonly path: string, private readonly content?: ContentStore, private readonly limits?: Partial<ArchiveLimits>) {}

  /** The layout's format (a docker-archive read through `openLayoutTransport` is known once opened). */
  get kind(): LayoutKind {
    return this._kind;
  }

  get what(): string {
    return `${this._kind} ${this.path}`;
  }

  private async source(): Promise<LayoutSource> {
    if (!this.content) throw new TransportError('NOT_FOUND', `${this.what} was opened for writing only`);
    if (!this.src) {
      this.src = await openLayoutSource(this.path, this.content, this.limits);
      if (!((await this.src.has('index.json')) && (await this.src.has('oci-layout'))) && (await this.src.has('manifest.json'))) this._kind = 'docker-archive';
    }
    return this.src;
  }

  async resolve(ref?: Reference): Promise<TransportImage[]> {
    const src = await this.source();
    const all = this._kind === 'docker-archive' ? await this.resolveDocker(src) : await this.resolveOci(src);
    const want = ref?.toString();
    return want === undefined ? all : all.filter((i) => i.name === want);
  }

  private async resolveOci(src: LayoutSource): Promise<TransportImage[]> {
    const bytes = await src.read('index.json', MAX_MANIFEST_SIZE);
    if (!bytes) throw new LayoutError('UNKNOWN_FORMAT', `${src.what} has no index.json`);
    const top = parseManifest(bytes, MediaType.OCI_INDEX, `${src.what} index.json`);
    if (top.kind !== 'index') throw new LayoutError('INVALID', `${src.what}: index.json is not an image index`);
    const repoTags = await dockerRepoTags(src);
    const out: TransportImage[] = [];
    for (const d of top.index.manifests) {
      const target: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
      const name = ociName(d.annotations, baseName(this.path));
      const tags = name ? [] : await tagsFromDocker(src, d, repoTags);
      if (tags.length === 0) out.push({ name, target });
      for (const t of tags) out.push({ name: parseReference(t).toString(), target });
    }
    return out;
  }

  private async resolveDocker(src: LayoutSource): Promise<TransportImage[]> {
    const text = Buffer.from((await src.read('manifest.json', MAX_MANIFEST_SIZE))!).toString();
    const entries = JSON.parse(text) as DockerManifestEntry[];
    const out: TransportImage[] = [];
    for (const e of entries) {
      const cfgBytes = await src.read(e.Config, MAX_CONFIG_SIZE);
      if (!cfgBytes) throw new LayoutError('MISSING_BLOB', `${src.what} has no ${e.Config}; the archive is incomplete`);
      parseConfig(cfgBytes, e.Config);
      const cfg = await src.store(e.Config);
      this.paths.set(cfg.digest, e.Config);
      const layers: Descriptor[] = [];
      for (const l of e.Layers) {
        const s = await src.store(l);
        this.paths.set(s.digest, l);
        layers.push({ mediaType: await layerMediaType({ content: this.content! }, s.digest), digest: s.digest, size: s.size });
      }
      const manifest: ImageManifest = {
        schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST,
        config: { mediaType: MediaType.OCI_CONFIG, digest: cfg.digest, size: cfg.size }, layers,
      };
      const bytes = new TextEncoder().encode(JSON.stringify(manifest));
      const digest = sha256Digest(bytes);
      this.built.set(digest, bytes);
      const target: Descriptor = { mediaType: MediaType.OCI_MANIFEST, digest, size: bytes.length };
      const tags = e.RepoTags ?? [];
      if (tags.length === 0) out.push({ target });
      for (const t of tags) out.push({ name: parseReference(t).toString(), target });
    }
    return out;
  }

  async *fetch(desc: Descriptor): AsyncIterable<Uint8Array> {
    const src = await this.source();
    const built = this.built.get(desc.digest);
    if (built) {
      yield* verified(desc, (async function* () { yield built; })(), this.what);
      return;
    }
    const name = this.paths.get(desc.digest) ?? `blobs/sha256/${desc.digest.slice(7)}`;
    if (!(await src.has(name))) throw new TransportError('NOT_FOUND', `${this.what} has no blob ${desc.digest}`);
    await src.store(name, desc.digest);
    yield* verified(desc, this.content!.stream(desc.digest), this.what);
  }

  async pull(store: Store, ref: Reference | undefined, opts: TransferOptions = {}): Promise<TransferredImage[]> {
    if (this.src) await this.close(); // a fresh source: the import keeps or drops what it stages
    const loaded = await loadFromSource(store, () => this.source(), this.path, { tag: opts.tag, limits: this.limits });
    this.src = undefined; // taken over by the import
    if (ref && !loaded.some((l) => l.name === ref.toString())) {
      throw new TransportError('NOT_FOUND', `${this.what} holds no image ${ref.toString()}`);
    }
    return loaded;
  }

  async push(store: Store, names: readonly string[], opts: TransferOptions = {}): Promise<void> {
    await saveImages(store, names, this.path, { format: SAVE_FORMAT[this._kind], platforms: opts.platforms });
  }

  async close(): Promise<void> {
    if (this.src && this.content) await cleanupSource(this.src, this.content, new Set());
    this.src = undefined;
    this.built.clear();
    this.paths.clear();
  }
}

/** An OCI image layout directory. */
export class OciLayoutTransport extends LayoutTransport {
  constructor(path: string, content?: ContentStore) {
    super('oci-layout', path, content);
  }
}

/** An OCI image layout in a tar file. */
export class OciArchiveTransport extends LayoutTransport {
  constructor(path: string, content?: ContentStore, limits?: Partial<ArchiveLimits>) {
    super('oci-archive', path, content, limits);
  }
}

/** A `docker save` archive. */
export class DockerArchiveTransport extends LayoutTransport {
  constructor(path: string, content?: ContentStore, limits?: Partial<ArchiveLimits>) {
    super('docker-archive', path, content, limits);
  }
}

/** The transport to read `input` through (`load`): a directory is an OCI layout, a file an archive (OCI or docker, told once opened). */
export async function openLayoutTransport(input: string, content: ContentStore, limits?: Partial<ArchiveLimits>): Promise<LayoutTransport> {
  const st = await fsp.stat(input).catch(() => undefined);
  return new LayoutTransport(st?.isDirectory() ? 'oci-layout' : 'oci-archive', input, content, limits);
}

/** The transport `save --format FORMAT -o OUT` writes through. */
export function saveTransport(format: SaveFormat, out: string): LayoutTransport {
  return new LayoutTransport(format === 'oci-dir' ? 'oci-layout' : format, out);
}
