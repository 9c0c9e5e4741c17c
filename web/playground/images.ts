/**
 * The page's image store: OCI image layouts read over HTTP (the bundled
 * samples at `samples/`, and images `wasmvisor serve` pulled through its
 * registry client at `api/`, which answers an index.json per pull and
 * serves the blobs under `api/blobs/sha256/`). Every blob is verified
 * against its digest (WebCrypto), every layer against its diff ID; layers
 * are unpacked with the library's isomorphic unpack into the layer trees
 * the Sentry stacks, top first, and kept by diff ID for the page's life.
 * The process to start comes from the library's `imageProcess`.
 */
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import { layerSources } from '../../src/image/content/image_config.js';
import { parseConfig, parseManifest, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from '../../src/image/content/manifest.js';
import { WASM_LAYER_TYPES } from '../../src/image/content/media_types.js';
import { choosePlatform, DEFAULT_PLATFORMS } from '../../src/image/reference/platform.js';
import { browserDecompressors, concatChunks, sniffCompression, type Decompressor } from '../../src/image/snapshot/decompress.js';
import { unpackLayerWith } from '../../src/image/snapshot/unpack_core.js';
import { wasmLayerTree } from '../../src/image/snapshot/unpack_wasm.js';
import { imageProcess, type ImageProcess, type RunOverrides } from '../../src/image/run/image_process.js';

/** An image ready to run: its manifest, config and layer trees (top first). */
export interface LoadedImage {
  name: string;
  manifestDigest: string;
  manifest: ImageManifest;
  config: ImageConfig;
  /** Layer trees, top first (as the overlay stacks them). */
  lowers: LayerTree[];
  /** Layer descriptors, top first (same order as `lowers`). */
  layers: Descriptor[];
}

/** An image a layout names (`io.containerd.image.name`). */
export interface LayoutEntry {
  name: string;
  desc: Descriptor;
  /** The image's description label, when its index entry carries it. */
  about?: string;
}

const layerCache = new Map<string, Promise<LayerTree>>();

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return `sha256:${Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Fetch blob `digest` from the layout at `base` and verify it. */
async function blob(base: string, digest: string): Promise<Uint8Array> {
  const res = await fetch(`${base}blobs/${digest.replace(':', '/')}`);
  if (!res.ok) throw new Error(`blob ${digest}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const got = await sha256(bytes);
  if (got !== digest) throw new Error(`blob ${digest} arrived as ${got}: refused`);
  return bytes;
}

/** The images the layout `index` names. */
export function layoutEntries(index: ImageIndex): LayoutEntry[] {
  return index.manifests.map((m) => ({
    name: m.annotations?.['io.containerd.image.name'] ?? m.annotations?.['org.opencontainers.image.ref.name'] ?? m.digest,
    desc: m,
    about: m.annotations?.['org.opencontainers.image.description'],
  }));
}

/** Read the layout's index.json at `base` (or from the page's `inline` copy, which the build writes for the samples). */
export async function readLayoutIndex(base: string, inline?: string): Promise<ImageIndex> {
  let bytes: Uint8Array;
  if (inline && !inline.startsWith('%')) bytes = new TextEncoder().encode(inline);
  else {
    const res = await fetch(`${base}index.json`);
    if (!res.ok) throw new Error(`${base}index.json: HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  }
  const parsed = parseManifest(bytes, 'application/vnd.oci.image.index.v1+json', `${base}index.json`);
  if (parsed.kind !== 'index') throw new Error(`${base}index.json is not an index`);
  return parsed.index;
}

/** All of a decompressor's output for `bytes`, in one array. */
async function inflate(d: Decompressor, bytes: Uint8Array): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of d((async function* () { yield bytes; })())) parts.push(c);
  return concatChunks(parts);
}

async function unpack(base: string, desc: Descriptor, diffId: string): Promise<LayerTree> {
  const bytes = await blob(base, desc.digest);
  if (WASM_LAYER_TYPES.has(desc.mediaType)) return wasmLayerTree(bytes, desc, diffId);
  // the tar's sha256 (the diff ID) is checked here; the unpack's streaming hasher is given the checked value
  let tar = bytes;
  // gzip by the browser's DecompressionStream (native; fflate's inflate in still-cold JavaScript was the largest
  // main-thread cost of a cached visit before the first run), zstd by fzstd: both loaded only when needed
  const c = sniffCompression(bytes);
  if (c !== 'none') tar = await inflate(browserDecompressors[c], bytes);
  const got = await sha256(tar);
  if (got !== diffId) throw new Error(`layer ${desc.digest}: its tar is ${got}, the config says ${diffId}: refused`);
  const src = (async function* () { yield tar; })();
  const r = await unpackLayerWith(src, () => ({ update() {}, digest: () => got }), { diffId, id: diffId });
  return r.tree;
}

const imageCache = new Map<string, Promise<LoadedImage>>();

/** Load image `entry` of the layout at `base` (once per manifest digest): manifest (this platform's, from an index), config and layer trees. */
export function loadImage(base: string, entry: LayoutEntry): Promise<LoadedImage> {
  const key = `${base}\0${entry.desc.digest}`;
  let p = imageCache.get(key);
  if (!p) {
    p = loadImageNow(base, entry);
    imageCache.set(key, p);
    p.catch(() => imageCache.delete(key));
  }
  return p;
}

async function loadImageNow(base: string, entry: LayoutEntry): Promise<LoadedImage> {
  let desc = entry.desc;
  let parsed = parseManifest(await blob(base, desc.digest), desc.mediaType, entry.name);
  if (parsed.kind === 'index') {
    desc = choosePlatform(parsed.index.manifests, DEFAULT_PLATFORMS, entry.name);
    parsed = parseManifest(await blob(base, desc.digest), desc.mediaType, entry.name);
    if (parsed.kind !== 'manifest') throw new Error(`${entry.name}: nested indexes are not supported`);
  }
  const manifest = parsed.manifest;
  const config = parseConfig(await blob(base, manifest.config.digest), manifest.config.digest);
  const sources = layerSources(manifest, config);
  const trees = await Promise.all(sources.map((s) => {
    let p = layerCache.get(s.diffId);
    if (!p) {
      p = unpack(base, s.descriptor, s.diffId);
      layerCache.set(s.diffId, p);
      p.catch(() => layerCache.delete(s.diffId));
    }
    return p;
  }));
  return { name: entry.name, manifestDigest: desc.digest, manifest, config, lowers: trees.reverse(), layers: [...manifest.layers].reverse() };
}

/** Ask `wasmvisor serve` to pull `ref` through its registry client; resolves to the layout entry of the pulled image (blobs under `api/`). */
export async function pullThroughServe(ref: string): Promise<LayoutEntry> {
  const res = await fetch(`api/pull?ref=${encodeURIComponent(ref)}`);
  const text = await res.text();
  if (!res.ok) throw new Error(text.trim() || `pull ${ref}: HTTP ${res.status}`);
  const parsed = parseManifest(new TextEncoder().encode(text), 'application/vnd.oci.image.index.v1+json', `pull ${ref}`);
  if (parsed.kind !== 'index') throw new Error(`pull ${ref}: the server did not answer an index`);
  return layoutEntries(parsed.index)[0]!;
}

/** The process the image starts (argv, env, workdir, module bytes), with the page's overrides. */
export function processOf(img: LoadedImage, o: RunOverrides): ImageProcess {
  return imageProcess(img.config, img.manifest, img.lowers, o);
}

/** Find the module at `path` (or through the image's PATH) for an exec in a container of `img`. */
export function moduleFor(img: LoadedImage, argv: string[]): ImageProcess {
  return imageProcess(img.config, img.manifest, img.lowers, { entrypoint: argv.slice(0, 1), args: argv.slice(1) });
}
