/**
 * `wasmvisor pack`: build an image from host files.
 *
 * Image mode: one new layer holding every `--add SRC:DEST` (a file, or a
 * directory copied recursively; symlinks kept as symlinks, host hard links
 * kept as hard links; modes kept, owners root), on top of `--from IMAGE`'s
 * layers or of nothing (`scratch`), and a config built from the base's and
 * the flags (entrypoint, cmd, env, workdir, user, labels); platform
 * `wasip1/wasm`. The layer is deterministic: entries sorted by path, every
 * mtime set to `SOURCE_DATE_EPOCH` (0 when unset), gzip without a name or
 * time; with `SOURCE_DATE_EPOCH` the config's `created` is fixed too, so
 * the same inputs give the same manifest digest.
 *
 * Artifact mode (`--artifact`): the Wasm OCI artifact format, with config
 * `application/vnd.wasm.config.v0+json` and one `application/wasm` layer
 * holding the module itself (titled with its file name); it carries no
 * entrypoint, env or workdir.
 */
import { isWasm } from '../../../kernel/platform/wasm_magic.js';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { sha256Digest } from '../content/digest.js';
import { buildImageConfig, type ConfigSettings } from '../content/image_config.js';
import { putBytes } from './layout_ingest.js';
import type { Descriptor, ImageConfig, ImageManifest } from '../content/manifest.js';
import { resolveImage } from '../content/manifest_store.js';
import { MediaType } from '../content/media_types.js';
import { parseReference } from '../reference/reference.js';
import type { Store } from '../content/store_root.js';
import { CodedError } from '../../coded_error.js';

const DOCKER_TO_OCI: Record<string, string> = {
  [MediaType.DOCKER_LAYER_GZIP]: MediaType.OCI_LAYER_GZIP,
  [MediaType.DOCKER_LAYER_FOREIGN_GZIP]: MediaType.OCI_LAYER_NONDIST_GZIP,
  'application/vnd.docker.image.rootfs.diff.tar': MediaType.OCI_LAYER,
};

/** Stable codes of {@link PackError}. */
export type PackErrorCode = 'BAD_ADD' | 'NOT_FOUND' | 'ARTIFACT' | 'NOT_WASM';

/** A pack request that cannot be built; the message says what to change. */
export class PackError extends CodedError<PackErrorCode> {
  override readonly name = 'PackError';
}

/** One `--add SRC:DEST`. */
export interface AddSpec {
  src: string;
  dest: string;
}

/** Options of {@link packImage}. */
export interface PackOptions extends ConfigSettings {
  /** Base image name, or `scratch` / undefined for none. */
  from?: string;
  add: AddSpec[];
  /** Names to give the image (none: `localhost/pack@<digest>`). */
  tags?: string[];
  /** Build the Wasm OCI artifact format instead of an image. */
  artifact?: boolean;
  /** Seconds since the epoch for every mtime and `created` (default: $SOURCE_DATE_EPOCH). */
  sourceDateEpoch?: number;
}

/** What {@link packImage} built. */
export interface PackResult {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  names: string[];
}

/** Parse `SRC:DEST` (the last `:` splits, so Windows-less host paths may hold colons). */
export function parseAdd(s: string): AddSpec {
  const i = s.lastIndexOf(':');
  if (i <= 0 || i === s.length - 1) throw new PackError('BAD_ADD', `--add ${JSON.stringify(s)} is not SRC:DEST (e.g. --add app.wasm:/app.wasm)`);
  const dest = s.slice(i + 1);
  if (!dest.startsWith('/')) throw new PackError('BAD_ADD', `--add ${s}: DEST must be an absolute path in the image (e.g. /${dest})`);
  return { src: s.slice(0, i), dest };
}

/** The SOURCE_DATE_EPOCH in effect, or undefined. */
function epochOf(opts: PackOptions): number | undefined {
  if (opts.sourceDateEpoch !== undefined) return opts.sourceDateEpoch;
  const env = process.env.SOURCE_DATE_EPOCH;
  return env && /^\d+$/.test(env) ? Number(env) : undefined;
}

/** Build the image, store it and name it. */
export async function packImage(store: Store, opts: PackOptions): Promise<PackResult> {
  const epoch = epochOf(opts);
  const created = epoch !== undefined ? new Date(epoch * 1000).toISOString() : new Date().toISOString();
  const result = opts.artifact ? await packArtifact(store, opts, created) : await packLayered(store, opts, epoch ?? 0, created);
  const names: string[] = [];
  // an untagged image still needs a name, or prune would collect it: name it by digest
  const tags = opts.tags?.length ? opts.tags : [`localhost/pack@${result.manifest.digest}`];
  for (const t of tags) {
    const name = parseReference(t).toString();
    await store.images.put(name, result.manifest, { 'wasmvisor.source': 'pack' });
    names.push(name);
  }
  return { ...result, names };
}

async function putJson(store: Store, mediaType: string, v: unknown): Promise<Descriptor> {
  const bytes = new TextEncoder().encode(JSON.stringify(v));
  return { mediaType, digest: await putBytes(store.content, bytes), size: bytes.length };
}

async function packLayered(store: Store, opts: PackOptions, mtime: number, created: string): Promise<Omit<PackResult, 'names'>> {
  let baseConfig: ImageConfig | undefined;
  let baseLayers: Descriptor[] = [];
  if (opts.from && opts.from !== 'scratch') {
    const base = await resolveImage(store, opts.from);
    if (base.manifest.config.mediaType === MediaType.WASM_CONFIG) {
      throw new PackError('ARTIFACT', `--from ${opts.from} is a Wasm artifact, not an image with tar layers; use --from scratch and --add its module`);
    }
    baseConfig = base.config;
    // the new manifest is OCI: Docker layer types become their OCI twins (same bytes)
    baseLayers = base.manifest.layers.map((l) => ({ ...l, mediaType: DOCKER_TO_OCI[l.mediaType] ?? l.mediaType }));
  }
  const tar = await layerTar(opts.add, mtime);
  const diffId = sha256Digest(tar);
  const gz = new Uint8Array(gzipSync(tar, { level: 9 }));
  const layer: Descriptor = { mediaType: MediaType.OCI_LAYER_GZIP, digest: await putBytes(store.content, gz), size: gz.length };
  const settings: ConfigSettings = { ...opts, created };
  const cfg = buildImageConfig(baseConfig, settings, [diffId], `wasmvisor pack ${opts.add.map((a) => `--add ${path.basename(a.src)}:${a.dest}`).join(' ')}`);
  const config = await putJson(store, MediaType.OCI_CONFIG, cfg);
  const layers = [...baseLayers, layer];
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST, config, layers };
  if (opts.labels && Object.keys(opts.labels).length) manifest.annotations = { ...opts.labels };
  return { manifest: await putJson(store, MediaType.OCI_MANIFEST, manifest), config, layers };
}

async function packArtifact(store: Store, opts: PackOptions, created: string): Promise<Omit<PackResult, 'names'>> {
  if (opts.from && opts.from !== 'scratch') throw new PackError('ARTIFACT', '--artifact builds from scratch; drop --from');
  if (opts.add.length !== 1) throw new PackError('ARTIFACT', `--artifact takes exactly one --add (the module), got ${opts.add.length}`);
  const extra = (['entrypoint', 'cmd', 'env', 'workdir', 'user'] as const).filter((k) => opts[k] !== undefined && (!Array.isArray(opts[k]) || (opts[k] as string[]).length));
  if (extra.length) {
    throw new PackError('ARTIFACT', `a Wasm artifact carries only the module; --${extra.join(', --')} cannot be stored in it (drop them, or pack without --artifact)`);
  }
  const src = opts.add[0].src;
  const bytes = await fsp.readFile(src).catch(() => { throw new PackError('NOT_FOUND', `--add ${src}: no such file`); });
  if (!isWasm(bytes)) throw new PackError('NOT_WASM', `${src} is not a WebAssembly module (no \\0asm header)`);
  const layerDigest = await putBytes(store.content, bytes);
  const title = path.posix.basename(opts.add[0].dest) || path.basename(src);
  const layer: Descriptor = { mediaType: MediaType.WASM_LAYER, digest: layerDigest, size: bytes.length, annotations: { 'org.opencontainers.image.title': title } };
  const config = await putJson(store, MediaType.WASM_CONFIG, { created, architecture: 'wasm', os: 'wasip1', layerDigests: [layerDigest] });
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST, artifactType: MediaType.WASM_CONFIG, config, layers: [layer] };
  const annotations: Record<string, string> = { 'org.opencontainers.image.created': created, ...(opts.labels ?? {}) };
  manifest.annotations = annotations;
  return { manifest: await putJson(store, MediaType.OCI_MANIFEST, manifest), config, layers: [layer] };
}

interface Item {
  path: string; // without leading slash
  type: 'file' | 'directory' | 'symlink' | 'link';
  mode: number;
  src?: string;
  linkname?: string;
}

/** The layer tar of `adds`: sorted, root-owned, every mtime `mtime` seconds. */
export async function layerTar(adds: readonly AddSpec[], mtime: number): Promise<Uint8Array> {
  const items = new Map<string, Item>();
  const inodes = new Map<string, string>();
  const ensureParents = (p: string): void => {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!items.has(d)) items.set(d, { path: d, type: 'directory', mode: 0o755 });
    }
  };
  const addPath = async (src: string, dest: string): Promise<void> => {
    const st = await fsp.lstat(src).catch(() => { throw new PackError('NOT_FOUND', `--add ${src}: no such file or directory`); });
    ensureParents(dest);
    if (st.isDirectory()) {
      if (dest) items.set(dest, { path: dest, type: 'directory', mode: st.mode & 0o7777 });
      for (const n of (await fsp.readdir(src)).sort()) await addPath(path.join(src, n), dest ? `${dest}/${n}` : n);
    } else if (st.isSymbolicLink()) {
      items.set(dest, { path: dest, type: 'symlink', mode: 0o777, linkname: await fsp.readlink(src) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? inodes.get(key) : undefined;
      if (first !== undefined) items.set(dest, { path: dest, type: 'link', mode: st.mode & 0o7777, linkname: first });
      else {
        if (st.nlink > 1) inodes.set(key, dest);
        items.set(dest, { path: dest, type: 'file', mode: st.mode & 0o7777, src });
      }
    } else {
      throw new PackError('BAD_ADD', `--add ${src}: only files, directories and symlinks can be packed`);
    }
  };
  for (const a of adds) {
    const dest = a.dest.split('/').filter((p) => p && p !== '.');
    if (dest.includes('..')) throw new PackError('BAD_ADD', `--add ${a.src}:${a.dest}: DEST may not contain ..`);
    let d = dest.join('/');
    const st = await fsp.stat(a.src).catch(() => undefined);
    if (a.dest.endsWith('/') && st && !st.isDirectory()) d = d ? `${d}/${path.basename(a.src)}` : path.basename(a.src);
    await addPath(a.src, d);
  }
  // hard links must follow their target in the sorted order: make the first name (sorted) the file
  const sorted = [...items.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const groups = new Map<string, Item[]>();
  for (const it of sorted) {
    const root = it.type === 'link' ? it.linkname! : it.type === 'file' ? it.path : undefined;
    if (root !== undefined) (groups.get(root) ?? groups.set(root, []).get(root)!).push(it);
  }
  for (const [, g] of groups) {
    if (g.length < 2) continue;
    const file = g.find((x) => x.type === 'file')!;
    const first = g[0];
    if (first !== file) {
      Object.assign(first, { type: 'file', src: file.src, linkname: undefined });
      Object.assign(file, { type: 'link', src: undefined });
    }
    for (const x of g.slice(1)) { x.type = 'link'; x.linkname = first.path; }
  }
  const pack = tarStream.pack();
  const chunks: Uint8Array[] = [];
  pack.on('data', (c) => { chunks.push(c as Uint8Array); });
  const ended = new Promise<void>((res, rej) => { pack.on('end', () => res()); pack.on('error', rej); });
  const date = new Date(mtime * 1000);
  for (const it of sorted) {
    const name = it.type === 'directory' ? `${it.path}/` : it.path;
    // the type bit keeps a mode of 0 from being replaced by tar-stream's default; only 0o7777 is written
    const base = { name, mode: it.mode | (it.type === 'directory' ? 0o040000 : 0o100000), uid: 0, gid: 0, uname: '', gname: '', mtime: date };
    await new Promise<void>((res, rej) => {
      const cb = (e?: Error | null): void => (e ? rej(e) : res());
      if (it.type === 'file') {
        fsp.readFile(it.src!).then((data) => { pack.entry({ ...base, type: 'file', size: data.length }, data, cb); }, rej);
      } else if (it.type === 'directory') pack.entry({ ...base, type: 'directory' }, cb);
      else pack.entry({ ...base, type: it.type, linkname: it.linkname }, cb);
    });
  }
  pack.finalize();
  await ended;
  return new Uint8Array(Buffer.concat(chunks));
}

/** Parse `KEY=VALUE` labels. */
export function parseLabels(list: readonly string[] | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, string> = {};
  for (const l of list) {
    const i = l.indexOf('=');
    if (i <= 0) throw new PackError('BAD_ADD', `--label ${JSON.stringify(l)} is not KEY=VALUE`);
    out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}
