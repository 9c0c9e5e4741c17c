/**
 * `wasmvisor save -o OUT --format oci-archive|oci-dir|docker-archive IMAGE...`.
 *
 * OCI formats write an image layout: `oci-layout`, `index.json` with one
 * entry per name (annotations `io.containerd.image.name` = the full name and
 * `org.opencontainers.image.ref.name` = its tag, as containerd writes them,
 * so `skopeo`/`umoci` find it as `DIR:TAG`), and `blobs/sha256/*` sorted by
 * digest. A name that points at an index whose manifests are all present
 * is saved with its index; otherwise the one manifest it resolves to.
 * Saving into an existing OCI layout directory adds to its index.
 *
 * docker-archive writes the classic `docker save` format, which every
 * Docker and skopeo version loads: `<config hex>.json`,
 * `<diff ID hex>/layer.tar` (uncompressed; each is checked against its diff
 * ID while decompressing), `<diff ID hex>/VERSION` and `json`,
 * `manifest.json` and `repositories`. Wasm module artifacts have no tar
 * layers and cannot be saved in it.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Digest } from '../content/digest.js';
import { Digester } from '../content/digest.js';
import { decompressStream } from '../snapshot/decompress.js';
import { nodeDecompressors } from '../snapshot/decompress_node.js';
import { layerSources } from '../content/image_config.js';
import { LayoutError } from './layout_source.js';
import { DirSink, TarSink, type LayoutSink } from './layout_writer.js';
import type { Descriptor, ImageIndex } from '../content/manifest.js';
import { childDescriptors, findImage, readManifest, resolveRecord } from '../content/manifest_store.js';
import { MediaType, TAR_LAYER_TYPES } from '../content/media_types.js';
import type { Platform } from '../content/manifest.js';
import { parseReference } from '../reference/reference.js';
import type { Store } from '../content/store_root.js';

/** Output formats of `save`. */
export type SaveFormat = 'oci-archive' | 'oci-dir' | 'docker-archive';

/** The formats, for `--format` help and checks. */
export const SAVE_FORMATS: readonly SaveFormat[] = ['oci-archive', 'oci-dir', 'docker-archive'];

/** Options of {@link saveImages}. */
export interface SaveOptions {
  format: SaveFormat;
  /** Platform to pick from multi-platform images (docker-archive, or incomplete indexes). */
  platforms?: readonly Platform[];
}

/** Save `names` from `store` into `out`. */
export async function saveImages(store: Store, names: readonly string[], out: string, opts: SaveOptions): Promise<void> {
  if (!SAVE_FORMATS.includes(opts.format)) {
    throw new LayoutError('INVALID', `unknown format ${JSON.stringify(opts.format)}; use one of ${SAVE_FORMATS.join(', ')}`);
  }
  if (names.length === 0) throw new LayoutError('INVALID', 'name at least one image to save');
  if (opts.format === 'docker-archive') return saveDocker(store, names, out, opts);
  let existing: Descriptor[] = [];
  if (opts.format === 'oci-dir') existing = await existingIndex(out);
  const sink: LayoutSink = opts.format === 'oci-dir' ? new DirSink(out) : new TarSink(out);
  try {
    const blobs = new Map<Digest, number>();
    const entries: Descriptor[] = [];
    for (const input of names) {
      const rec = await findImage(store, input);
      let target = rec.target;
      if (!(await closure(store, target, blobs))) {
        const r = await resolveRecord(store, rec, opts.platforms);
        target = r.manifestDesc;
        if (!(await closure(store, target, blobs))) throw new LayoutError('MISSING_BLOB', `image ${rec.name} is incomplete in the store; pull it again`);
      }
      const ref = parseReference(rec.name);
      const ann: Record<string, string> = { 'io.containerd.image.name': rec.name };
      if (ref.tag) ann['org.opencontainers.image.ref.name'] = ref.tag;
      entries.push({ mediaType: target.mediaType, digest: target.digest, size: target.size, annotations: ann });
    }
    await sink.addFile('oci-layout', json({ imageLayoutVersion: '1.0.0' }));
    for (const d of [...blobs.keys()].sort()) {
      await sink.addStream(`blobs/sha256/${d.slice(7)}`, blobs.get(d)!, store.content.stream(d));
    }
    // an existing layout keeps its other images; an entry with the same name or tag is replaced
    const full = new Set(entries.map((e) => e.annotations!['io.containerd.image.name']));
    const tags = new Set(entries.map((e) => e.annotations!['org.opencontainers.image.ref.name']).filter(Boolean));
    const kept = existing.filter((e) => {
      const n = e.annotations?.['io.containerd.image.name'];
      const t = e.annotations?.['org.opencontainers.image.ref.name'];
      return n !== undefined ? !full.has(n) : !(t !== undefined && tags.has(t));
    });
    const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests: [...kept, ...entries] };
    await sink.addFile('index.json', json(index));
    await sink.close();
  } catch (err) {
    await sink.abort();
    throw err;
  }
}

function json(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}

async function existingIndex(dir: string): Promise<Descriptor[]> {
  const entries = await fsp.readdir(dir).catch(() => undefined);
  if (!entries || entries.length === 0) return [];
  try {
    const layout = JSON.parse(await fsp.readFile(path.join(dir, 'oci-layout'), 'utf8')) as { imageLayoutVersion?: string };
    if (layout.imageLayoutVersion !== '1.0.0') throw new Error();
    const idx = JSON.parse(await fsp.readFile(path.join(dir, 'index.json'), 'utf8')) as ImageIndex;
    return idx.manifests ?? [];
  } catch {
    throw new LayoutError('INVALID', `${dir} exists and is not an OCI image layout; give an empty or new directory`);
  }
}

/** Add `d` and everything under it to `blobs`; false if something is missing from the store. */
async function closure(store: Store, d: Descriptor, blobs: Map<Digest, number>): Promise<boolean> {
  const mine = new Map<Digest, number>();
  const walk = async (x: Descriptor, depth: number): Promise<boolean> => {
    if (depth > 4 || !(await store.content.has(x.digest))) return false;
    mine.set(x.digest, x.size);
    const isManifestLike = x.mediaType === MediaType.OCI_INDEX || x.mediaType === MediaType.OCI_MANIFEST
      || x.mediaType === MediaType.DOCKER_LIST || x.mediaType === MediaType.DOCKER_MANIFEST;
    if (!isManifestLike) return true;
    for (const c of childDescriptors(await readManifest(store.content, x))) if (!(await walk(c, depth + 1))) return false;
    return true;
  };
  if (!(await walk(d, 0))) return false;
  for (const [k, v] of mine) blobs.set(k, v);
  return true;
}

/** `docker.io/library/x:t` → `x:t`, `docker.io/u/x:t` → `u/x:t`, as docker names them. */
export function familiarName(name: string): string {
  return name.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

async function saveDocker(store: Store, names: readonly string[], out: string, opts: SaveOptions): Promise<void> {
  const sink = new TarSink(out);
  const tmpDir = path.join(store.root, 'tmp');
  await fsp.mkdir(tmpDir, { recursive: true });
  const temps: string[] = [];
  try {
    const manifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    const written = new Set<string>();
    const byConfig = new Map<Digest, (typeof manifest)[number]>();
    for (const input of names) {
      const r = await resolveRecord(store, await findImage(store, input), opts.platforms);
      const ref = parseReference(r.record.name);
      // RepoTags hold name:tag only; a name by digest is saved untagged
      const tags = ref.tag ? [familiarName(r.record.name.replace(/@sha256:[a-f0-9]{64}$/, ''))] : [];
      const prior = byConfig.get(r.manifest.config.digest);
      if (prior) { prior.RepoTags.push(...tags); continue; }
      const layers = layerSources(r.manifest, r.config);
      const configName = `${r.manifest.config.digest.slice(7)}.json`;
      if (!written.has(configName)) {
        written.add(configName);
        await sink.addFile(configName, await store.content.readAll(r.manifest.config.digest, 8 * 1024 * 1024));
      }
      const layerNames: string[] = [];
      let parent: string | undefined;
      for (const l of layers) {
        const mt = l.descriptor.mediaType;
        if (!TAR_LAYER_TYPES.has(mt)) {
          throw new LayoutError('INVALID', `image ${r.record.name} has a ${mt} layer; docker-archive holds only tar layers (save it as oci-archive)`);
        }
        const id = l.diffId.slice(7);
        const name = `${id}/layer.tar`;
        layerNames.push(name);
        if (!written.has(name)) {
          written.add(name);
          const tmp = path.join(tmpDir, `save-${randomBytes(6).toString('hex')}.tar`);
          temps.push(tmp);
          const size = await uncompressTo(store, l.descriptor, l.diffId, tmp);
          await sink.addFile(`${id}/VERSION`, new TextEncoder().encode('1.0'));
          await sink.addFile(`${id}/json`, json(parent ? { id, parent } : { id }));
          await sink.addStream(name, size, createReadStream(tmp, { highWaterMark: 1 << 20 }));
        }
        parent = id;
      }
      const entry = { Config: configName, RepoTags: tags, Layers: layerNames };
      byConfig.set(r.manifest.config.digest, entry);
      manifest.push(entry);
      if (ref.tag && parent) {
        const repo = familiarName(`${ref.registry}/${ref.repository}`);
        (repositories[repo] ??= {})[ref.tag] = parent;
      }
    }
    await sink.addFile('manifest.json', json(manifest));
    await sink.addFile('repositories', json(repositories));
    await sink.close();
  } catch (err) {
    await sink.abort();
    throw err;
  } finally {
    for (const t of temps) await fsp.rm(t, { force: true });
  }
}

/** Decompress a stored layer into `file`, checking its diff ID; resolves to the size. */
async function uncompressTo(store: Store, d: Descriptor, diffId: Digest, file: string): Promise<number> {
  const fh = await fsp.open(file, 'w');
  const dg = new Digester();
  try {
    for await (const c of decompressStream(store.content.stream(d.digest), { mediaType: d.mediaType, decompressors: nodeDecompressors })) {
      dg.update(c);
      await fh.write(c);
    }
  } finally {
    await fh.close();
  }
  if (dg.digest() !== diffId) {
    throw new LayoutError('DIGEST_MISMATCH', `layer ${d.digest} uncompresses to ${dg.digest()}, not its diff ID ${diffId}; the image is corrupt (pull it again)`);
  }
  return dg.size;
}
