/**
 * `wasmvisor load -i FILE|DIR`: import images from an OCI image layout
 * (directory or oci-archive) or a docker-archive (`docker save`, both the
 * classic `<id>/layer.tar` format and the OCI-based one of Docker 25+).
 *
 * Detection: `index.json` + `oci-layout` → OCI layout (Docker 25+ archives
 * have them too and are read as OCI, their index carries the names);
 * else `manifest.json` → docker-archive. Every blob is checked against its
 * digest; a docker-archive image is given an OCI manifest built here.
 *
 * Names: `io.containerd.image.name` if present; else
 * `org.opencontainers.image.ref.name` when it is a full reference, or
 * `localhost/<input base name>:<ref.name>` when it is only a tag; docker's
 * `RepoTags`; an image with no name at all becomes
 * `localhost/<input base name>:latest` (or `@digest` when there are several).
 * An archive is scanned under the layer unpack's caps (see layout_source.ts);
 * a config over {@link MAX_CONFIG_SIZE} is refused, as run and pull refuse it.
 * On failure nothing this load added stays in the store.
 */
import path from 'node:path';
import { Lease } from '../content/gc.js';
import type { Digest } from '../content/digest.js';
import { sniffCompression } from '../snapshot/decompress.js';
import { putBytes } from './layout_ingest.js';
import { cleanupSource, LayoutError, type ArchiveLimits, type LayoutSource } from './layout_source.js';
import { openLayoutTransport } from './layout_transport.js';
import { MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, parseConfig, parseManifest, type Descriptor, type ImageManifest } from '../content/manifest.js';
import { MediaType } from '../content/media_types.js';
import { parseReference } from '../reference/reference.js';
import type { Store } from '../content/store_root.js';

/** One image a load named. */
export interface LoadedImage {
  name: string;
  target: Descriptor;
}

/** Options of {@link loadImages}. */
export interface LoadOptions {
  /** Name every loaded image this (only valid when the input holds one image). */
  tag?: string;
  /** Overrides of the archive caps (default: the layer unpack's, {@link DEFAULT_UNPACK_LIMITS}). */
  limits?: Partial<ArchiveLimits>;
}

const NAME_ANN = 'io.containerd.image.name';
const REF_ANN = 'org.opencontainers.image.ref.name';

/** Import every image in `input` (an OCI layout directory, oci-archive or docker-archive) into `store`; resolves to the names created. */
export async function loadImages(store: Store, input: string, opts: LoadOptions = {}): Promise<LoadedImage[]> {
  const t = await openLayoutTransport(input, store.content, opts.limits);
  try {
    return await t.pull(store, undefined, { tag: opts.tag });
  } finally {
    await t.close();
  }
}

/**
 * Import every image of the layout `open` opens (read from `input`) into
 * `store` and name them, under a lease taken before the source is opened;
 * on failure nothing this import added stays. Takes over the source: its
 * staged blobs are kept or dropped here.
 */
export async function loadFromSource(store: Store, open: () => Promise<LayoutSource>, input: string, opts: LoadOptions = {}): Promise<LoadedImage[]> {
  const lease = await Lease.create(store.root);
  let src: LayoutSource | undefined;
  const keep = new Set<Digest>();
  try {
    src = await open();
    const base = baseName(input);
    let found: { name?: string; target: Descriptor }[];
    if ((await src.has('index.json')) && (await src.has('oci-layout'))) found = await importOci(src, keep, base);
    else if (await src.has('manifest.json')) found = await importDocker(src, store, keep);
    else throw new LayoutError('UNKNOWN_FORMAT', `${src.what} is neither an OCI image layout (index.json, oci-layout) nor a docker-archive (manifest.json)`);
    for (const d of keep) await lease.add(d);
    if (found.length === 0) throw new LayoutError('INVALID', `${src.what} holds no image`);
    if (opts.tag && new Set(found.map((f) => f.target.digest)).size > 1) {
      throw new LayoutError('INVALID', `${src.what} holds ${found.length} images; --tag names only one (load without it)`);
    }
    const unnamed = found.filter((f) => !f.name).length;
    const out: LoadedImage[] = [];
    for (const f of found) {
      let name = f.name ?? (unnamed > 1 ? `localhost/${base}@${f.target.digest}` : `localhost/${base}:latest`);
      if (opts.tag) name = parseReference(opts.tag).toString();
      await store.images.put(name, f.target, { 'wasmvisor.source': 'load' });
      out.push({ name, target: f.target });
    }
    await cleanupSource(src, store.content, keep);
    return dedupe(out);
  } catch (err) {
    if (src) await cleanupSource(src, store.content, new Set());
    throw err;
  } finally {
    await lease.release();
  }
}

function dedupe(list: LoadedImage[]): LoadedImage[] {
  const seen = new Set<string>();
  return list.filter((l) => !seen.has(l.name) && seen.add(l.name));
}

/** A safe repository name from the input's file name (`hello.oci.tar` → `hello`). */
export function baseName(input: string): string {
  const b = path.basename(path.resolve(input)).toLowerCase().replace(/\.(tar|tgz|gz|zst|oci|docker|archive)$/g, '')
    .replace(/\.(tar|oci|docker)$/g, '').replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return b || 'image';
}

/** Name from OCI annotations, or undefined. */
export function ociName(ann: Record<string, string> | undefined, base: string): string | undefined {
  const full = ann?.[NAME_ANN];
  if (full) return parseReference(full).toString();
  const ref = ann?.[REF_ANN];
  if (!ref) return undefined;
  if (ref.includes('/') || ref.includes(':') || ref.includes('@')) return parseReference(ref).toString();
  return parseReference(`localhost/${base}:${ref}`).toString();
}

async function importOci(src: LayoutSource, keep: Set<Digest>, base: string): Promise<{ name?: string; target: Descriptor }[]> {
  const layout = JSON.parse(Buffer.from((await src.read('oci-layout', 4096))!).toString()) as { imageLayoutVersion?: string };
  if (layout.imageLayoutVersion !== '1.0.0') {
    throw new LayoutError('INVALID', `${src.what}: oci-layout version ${JSON.stringify(layout.imageLayoutVersion)} is not 1.0.0`);
  }
  const indexBytes = (await src.read('index.json', MAX_MANIFEST_SIZE))!;
  const top = parseManifest(indexBytes, MediaType.OCI_INDEX, `${src.what} index.json`);
  if (top.kind !== 'index') throw new LayoutError('INVALID', `${src.what}: index.json is not an image index`);
  const repoTags = await dockerRepoTags(src);
  const out: { name?: string; target: Descriptor }[] = [];
  for (const d of top.index.manifests) {
    await importTree(src, d, keep, 0);
    const target: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
    const name = ociName(d.annotations, base);
    const tags = name ? [] : await tagsFromDocker(src, d, repoTags);
    if (tags.length === 0) out.push({ name, target });
    for (const t of tags) out.push({ name: parseReference(t).toString(), target });
  }
  return out;
}

/** Docker 25+ archives are OCI layouts with a classic manifest.json too: config digest → RepoTags. */
export async function dockerRepoTags(src: LayoutSource): Promise<Map<Digest, string[]>> {
  const out = new Map<Digest, string[]>();
  const bytes = await src.read('manifest.json', MAX_MANIFEST_SIZE).catch(() => undefined);
  if (!bytes) return out;
  try {
    for (const e of JSON.parse(Buffer.from(bytes).toString()) as DockerManifestEntry[]) {
      const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(e.Config);
      if (m && e.RepoTags?.length) out.set(`sha256:${m[1]}`, e.RepoTags);
    }
  } catch {
    /* not docker's manifest.json: no names from it */
  }
  return out;
}

/** The RepoTags of an unnamed index entry, matched by its config digest. */
export async function tagsFromDocker(src: LayoutSource, d: Descriptor, repoTags: Map<Digest, string[]>): Promise<string[]> {
  if (repoTags.size === 0 || d.mediaType !== MediaType.OCI_MANIFEST && d.mediaType !== MediaType.DOCKER_MANIFEST) return [];
  const parsed = parseManifest((await src.read(`blobs/sha256/${d.digest.slice(7)}`, MAX_MANIFEST_SIZE))!, d.mediaType, d.digest);
  return parsed.kind === 'manifest' ? repoTags.get(parsed.manifest.config.digest) ?? [] : [];
}

/** Store `d` and everything it refers to; an index's absent children are skipped if one is present. */
async function importTree(src: LayoutSource, d: Descriptor, keep: Set<Digest>, depth: number): Promise<void> {
  if (depth > 4) throw new LayoutError('INVALID', `${src.what}: indexes nested more than 4 deep`);
  const blob = `blobs/sha256/${d.digest.slice(7)}`;
  if (!d.digest.startsWith('sha256:')) throw new LayoutError('INVALID', `${src.what}: digest ${d.digest} is not sha256`);
  if (d.size > MAX_MANIFEST_SIZE && isManifestType(d.mediaType)) {
    throw new LayoutError('TOO_LARGE', `${src.what}: manifest ${d.digest} is ${d.size} bytes, over the ${MAX_MANIFEST_SIZE}-byte limit; this is not an image wasmvisor can use`);
  }
  const stored = await src.store(blob, d.digest);
  if (stored.size !== d.size) throw new LayoutError('DIGEST_MISMATCH', `${src.what}: ${blob} is ${stored.size} bytes, its descriptor says ${d.size}`);
  keep.add(d.digest);
  if (!isManifestType(d.mediaType)) return;
  const parsed = parseManifest((await src.read(blob, MAX_MANIFEST_SIZE))!, d.mediaType, d.digest);
  if (parsed.kind === 'index') {
    let present = 0;
    for (const m of parsed.index.manifests) {
      if (!(await src.has(`blobs/sha256/${m.digest.slice(7)}`))) continue;
      await importTree(src, m, keep, depth + 1);
      present++;
    }
    if (present === 0) throw new LayoutError('MISSING_BLOB', `${src.what}: none of the manifests of index ${d.digest} is in the layout`);
    return;
  }
  const cfg = parsed.manifest.config;
  if (cfg.size > MAX_CONFIG_SIZE) {
    // run and pull refuse such a config; refuse it here too, before storing or naming anything
    throw new LayoutError('TOO_LARGE', `${src.what}: config ${cfg.digest} of manifest ${d.digest} is ${cfg.size} bytes, over the ${MAX_CONFIG_SIZE}-byte limit; this is not an image wasmvisor can use`);
  }
  for (const c of [cfg, ...parsed.manifest.layers]) {
    const name = `blobs/sha256/${c.digest.slice(7)}`;
    const s = await src.store(name, c.digest);
    if (s.size !== c.size) throw new LayoutError('DIGEST_MISMATCH', `${src.what}: ${name} is ${s.size} bytes, its descriptor says ${c.size}`);
    keep.add(c.digest);
  }
}

function isManifestType(t: string): boolean {
  return t === MediaType.OCI_INDEX || t === MediaType.OCI_MANIFEST || t === MediaType.DOCKER_LIST || t === MediaType.DOCKER_MANIFEST;
}

/** One entry of a docker-archive's manifest.json. */
export interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function importDocker(src: LayoutSource, store: Store, keep: Set<Digest>): Promise<{ name?: string; target: Descriptor }[]> {
  const text = Buffer.from((await src.read('manifest.json', MAX_MANIFEST_SIZE))!).toString();
  let entries: DockerManifestEntry[];
  try {
    entries = JSON.parse(text) as DockerManifestEntry[];
    if (!Array.isArray(entries) || entries.some((e) => typeof e.Config !== 'string' || !Array.isArray(e.Layers))) throw new Error();
  } catch {
    throw new LayoutError('INVALID', `${src.what}: manifest.json is not a docker-archive manifest (a list of {Config, RepoTags, Layers})`);
  }
  const out: { name?: string; target: Descriptor }[] = [];
  for (const e of entries) {
    const cfgBytes = (await src.read(e.Config, MAX_CONFIG_SIZE));
    if (!cfgBytes) throw new LayoutError('MISSING_BLOB', `${src.what} has no ${e.Config}; the archive is incomplete`);
    const config = parseConfig(cfgBytes, e.Config);
    const cfgStored = await src.store(e.Config);
    keep.add(cfgStored.digest);
    const layers: Descriptor[] = [];
    for (const l of e.Layers) {
      const s = await src.store(l);
      keep.add(s.digest);
      layers.push({ mediaType: await layerMediaType(store, s.digest), digest: s.digest, size: s.size });
    }
    if (config.rootfs && config.rootfs.diff_ids.length !== layers.length) {
      throw new LayoutError('INVALID', `${src.what}: ${e.Config} lists ${config.rootfs.diff_ids.length} layers but manifest.json has ${layers.length}`);
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.OCI_MANIFEST,
      config: { mediaType: MediaType.OCI_CONFIG, digest: cfgStored.digest, size: cfgStored.size },
      layers,
    };
    const bytes = new TextEncoder().encode(JSON.stringify(manifest));
    const digest = await putBytes(store.content, bytes);
    keep.add(digest);
    const target: Descriptor = { mediaType: MediaType.OCI_MANIFEST, digest, size: bytes.length };
    const tags = e.RepoTags ?? [];
    if (tags.length === 0) out.push({ target });
    for (const t of tags) out.push({ name: parseReference(t).toString(), target });
  }
  return out;
}

/** The OCI layer media type for a stored docker layer, by its magic bytes. */
export async function layerMediaType(store: { content: Pick<Store['content'], 'stream'> }, digest: Digest): Promise<string> {
  let head: Uint8Array = new Uint8Array(0);
  for await (const c of store.content.stream(digest, { length: 4 })) head = c;
  const c = sniffCompression(head);
  return c === 'gzip' ? MediaType.OCI_LAYER_GZIP : c === 'zstd' ? MediaType.OCI_LAYER_ZSTD : MediaType.OCI_LAYER;
}
