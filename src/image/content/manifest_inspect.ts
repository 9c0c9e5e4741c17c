/**
 * What `images` and `inspect` show: summaries of local images, the
 * podman-like inspect document of a local image, and the skopeo-like one of
 * a registry's image (fetched without its layers).
 */
import { sha256Digest, type Digest } from './digest.js';
import { MAX_CONFIG_SIZE, parseConfig, parseManifest, type Descriptor, type ImageConfig, type ImageManifest, type Platform } from './manifest.js';
import { resolveRecord, type ResolvedImage } from './manifest_store.js';
import { choosePlatform, DEFAULT_PLATFORMS, formatPlatform } from '../reference/platform.js';
import { parseReference } from '../reference/reference.js';
import { RegistryClient, RegistryError } from '../registry/registry.js';
import { readBody } from '../registry/registry_http.js';
import type { ImageRecord, Store } from './store_root.js';

/** One row of `wasmvisor images`. */
export interface ImageSummary {
  name: string;
  repository: string;
  tag: string;
  /** The manifest or index digest the name points at (what `rmi` and `inspect` accept a prefix of). */
  id: Digest;
  mediaType: string;
  created?: string;
  /** Manifest, config and layers of the chosen platform, in bytes (-1 if the image is incomplete). */
  size: number;
  platform: string;
}

/** Split a stored name into repository and tag (`<none>` for digest-only names). */
export function splitName(name: string): { repository: string; tag: string } {
  const at = name.indexOf('@');
  const base = at >= 0 ? name.slice(0, at) : name;
  const colon = base.lastIndexOf(':');
  if (colon > base.lastIndexOf('/')) return { repository: base.slice(0, colon), tag: base.slice(colon + 1) };
  return { repository: base, tag: '<none>' };
}

function sizeOf(img: ResolvedImage): number {
  return img.manifestDesc.size + img.manifest.config.size + img.manifest.layers.reduce((n, l) => n + l.size, 0);
}

/** Summarise one stored image. */
export async function summarise(store: Store, rec: ImageRecord): Promise<ImageSummary> {
  const { repository, tag } = splitName(rec.name);
  const base = { name: rec.name, repository, tag, id: rec.target.digest, mediaType: rec.target.mediaType };
  try {
    const img = await resolveRecord(store, rec);
    return { ...base, created: img.config.created ?? rec.createdAt, size: sizeOf(img), platform: platformOf(img.manifestDesc, img.config) };
  } catch {
    return { ...base, created: rec.createdAt, size: -1, platform: rec.labels?.['wasmvisor.platform'] ?? 'unknown' };
  }
}

function platformOf(desc: Descriptor, config: ImageConfig): string {
  return formatPlatform(desc.platform ?? { os: config.os, architecture: config.architecture, variant: config.variant });
}

/** The inspect document of a local image (podman's field names). */
export async function inspectLocal(store: Store, rec: ImageRecord, platforms?: readonly Platform[]): Promise<Record<string, unknown>> {
  const img = await resolveRecord(store, rec, platforms);
  const names = (await store.images.list()).filter((r) => r.target.digest === rec.target.digest).map((r) => r.name);
  return {
    Id: rec.target.digest.slice(7),
    Digest: rec.target.digest,
    MediaType: rec.target.mediaType,
    ManifestDigest: img.manifestDesc.digest,
    ConfigDigest: img.manifest.config.digest,
    RepoTags: names,
    Created: img.config.created,
    Author: img.config.author,
    Architecture: img.config.architecture,
    Os: img.config.os,
    Variant: img.config.variant,
    Platform: platformOf(img.manifestDesc, img.config),
    Config: img.config.config ?? {},
    RootFS: img.config.rootfs,
    Layers: img.manifest.layers.map((l) => l.digest),
    LayersData: img.manifest.layers.map((l) => ({ MIMEType: l.mediaType, Digest: l.digest, Size: l.size, Annotations: l.annotations })),
    Size: sizeOf(img),
    Annotations: img.manifest.annotations,
    Labels: img.config.config?.Labels ?? undefined,
    History: img.config.history,
  };
}

/** What `inspect docker://REF` prints: the skopeo inspect document, or the raw manifest bytes. */
export async function inspectRemote(
  client: RegistryClient,
  input: string,
  opts: { raw?: boolean; platforms?: readonly Platform[] } = {},
): Promise<Record<string, unknown> | Buffer> {
  const ref = parseReference(input);
  const top = await client.getManifest(ref, ref.object);
  if (opts.raw) return top.bytes;
  const parsed = parseManifest(top.bytes, top.mediaType, ref.toString());
  let manifest: ImageManifest;
  let desc: Descriptor = { mediaType: parsed.mediaType, digest: top.digest, size: top.bytes.length };
  if (parsed.kind === 'index') {
    desc = choosePlatform(parsed.index.manifests, opts.platforms ?? DEFAULT_PLATFORMS, ref.toString());
    const child = await client.getManifest(ref, desc.digest, [top.endpoint]);
    const p = parseManifest(child.bytes, child.mediaType, `${ref.name}@${desc.digest}`);
    if (p.kind !== 'manifest') throw new RegistryError('PROTOCOL', `${ref}: an index inside an index is not supported`);
    manifest = p.manifest;
  } else {
    manifest = parsed.manifest;
  }
  const res = await client.getBlob(top.endpoint, manifest.config.digest);
  const bytes = await readBody(res, MAX_CONFIG_SIZE);
  if (!bytes || sha256Digest(bytes) !== manifest.config.digest) {
    throw new RegistryError('DIGEST_MISMATCH', `config ${manifest.config.digest} of ${ref} from ${top.endpoint.host} is corrupt or too large`);
  }
  const config = parseConfig(bytes, `${ref} config`);
  const tags = await client.listTags(top.endpoint).catch(() => [] as string[]);
  return {
    Name: ref.name,
    Digest: top.digest,
    RepoTags: tags,
    Created: config.created,
    DockerVersion: '',
    Labels: config.config?.Labels ?? null,
    Architecture: config.architecture,
    Os: config.os,
    Variant: config.variant,
    Layers: manifest.layers.map((l) => l.digest),
    LayersData: manifest.layers.map((l) => ({ MIMEType: l.mediaType, Digest: l.digest, Size: l.size, Annotations: l.annotations ?? null })),
    Env: config.config?.Env ?? null,
  };
}
