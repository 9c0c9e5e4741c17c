/**
 * Media types of the OCI image spec 1.1, Docker's schema 2 and the Wasm OCI
 * artifact conventions, and the groupings the pipeline needs (which ones
 * are indexes, manifests, layers; what to send in `Accept`).
 */

/** Every media type wasmvisor reads or writes, by role. */
export const MediaType = {
  OCI_INDEX: 'application/vnd.oci.image.index.v1+json',
  OCI_MANIFEST: 'application/vnd.oci.image.manifest.v1+json',
  OCI_CONFIG: 'application/vnd.oci.image.config.v1+json',
  OCI_LAYER: 'application/vnd.oci.image.layer.v1.tar',
  OCI_LAYER_GZIP: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OCI_LAYER_ZSTD: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OCI_LAYER_NONDIST: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OCI_LAYER_NONDIST_GZIP: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OCI_LAYER_NONDIST_ZSTD: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  OCI_EMPTY: 'application/vnd.oci.empty.v1+json',
  DOCKER_LIST: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DOCKER_MANIFEST: 'application/vnd.docker.distribution.manifest.v2+json',
  DOCKER_CONFIG: 'application/vnd.docker.container.image.v1+json',
  DOCKER_LAYER_GZIP: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DOCKER_LAYER_FOREIGN_GZIP: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  WASM_CONFIG: 'application/vnd.wasm.config.v0+json',
  WASM_LAYER: 'application/wasm',
  WASM_LAYER_LEGACY: 'application/vnd.wasm.content.layer.v1+wasm',
} as const;

/** One of the known media type strings. */
export type KnownMediaType = (typeof MediaType)[keyof typeof MediaType];

/** Index-like types: a list of manifests, one per platform. */
export const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.OCI_INDEX, MediaType.DOCKER_LIST]);

/** Image manifest types: a config plus layers. */
export const MANIFEST_TYPES: ReadonlySet<string> = new Set([MediaType.OCI_MANIFEST, MediaType.DOCKER_MANIFEST]);

/** Config blob types wasmvisor accepts. */
export const CONFIG_TYPES: ReadonlySet<string> = new Set([
  MediaType.OCI_CONFIG,
  MediaType.DOCKER_CONFIG,
  MediaType.WASM_CONFIG,
  MediaType.OCI_EMPTY,
]);

/** Layers that are tar archives, by compression. */
export const TAR_LAYER_TYPES: ReadonlyMap<string, 'none' | 'gzip' | 'zstd'> = new Map([
  [MediaType.OCI_LAYER, 'none'],
  [MediaType.OCI_LAYER_GZIP, 'gzip'],
  [MediaType.OCI_LAYER_ZSTD, 'zstd'],
  [MediaType.OCI_LAYER_NONDIST, 'none'],
  [MediaType.OCI_LAYER_NONDIST_GZIP, 'gzip'],
  [MediaType.OCI_LAYER_NONDIST_ZSTD, 'zstd'],
  [MediaType.DOCKER_LAYER_GZIP, 'gzip'],
  [MediaType.DOCKER_LAYER_FOREIGN_GZIP, 'gzip'],
] as [string, 'none' | 'gzip' | 'zstd'][]);

/** Layers that are a single WebAssembly module (the Wasm OCI artifact). */
export const WASM_LAYER_TYPES: ReadonlySet<string> = new Set([MediaType.WASM_LAYER, MediaType.WASM_LAYER_LEGACY]);

/** True if `t` names an index (OCI image index or Docker manifest list). */
export function isIndexType(t: string | undefined): boolean {
  return t !== undefined && INDEX_TYPES.has(t);
}

/** True if `t` names an image manifest (OCI or Docker schema 2). */
export function isManifestType(t: string | undefined): boolean {
  return t !== undefined && MANIFEST_TYPES.has(t);
}

/** True if `t` is a layer type wasmvisor can unpack (a tar in any supported compression, or a wasm module). */
export function isLayerType(t: string): boolean {
  return TAR_LAYER_TYPES.has(t) || WASM_LAYER_TYPES.has(t);
}

/**
 * The `Accept` header for manifest requests. Lists OCI and Docker types:
 * distribution 2.8 answers 404 for a tag pushed as OCI when the OCI types
 * are missing here.
 */
export const MANIFEST_ACCEPT = [
  MediaType.OCI_INDEX,
  MediaType.OCI_MANIFEST,
  MediaType.DOCKER_LIST,
  MediaType.DOCKER_MANIFEST,
].join(', ');
