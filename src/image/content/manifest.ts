/**
 * The JSON documents of the OCI image spec 1.1 and Docker schema 2 (which
 * has the same shape with other media types), and their checked parsing:
 * size limit, media type, required fields, digests.
 */
import { DigestError, validateDigest, type Digest } from './digest.js';
import { MediaType, isIndexType, isManifestType } from './media_types.js';
import { CodedError } from '../../coded_error.js';

/** Largest manifest or index accepted (bytes), as containerd and the registry do. */
export const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;

/** Largest image config accepted (bytes). */
export const MAX_CONFIG_SIZE = 8 * 1024 * 1024;

/** An OCI platform: `os`/`architecture`[/`variant`]. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

/** An OCI image index or Docker manifest list. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI image manifest or Docker schema 2 manifest. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** The runtime part of an image config. */
export interface ImageRuntimeConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object>;
  StopSignal?: string;
}

/** An OCI image config (also Docker's, and the Wasm artifact's, which has the same fields it uses). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ImageRuntimeConfig;
  rootfs?: { type: string; diff_ids: Digest[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  /** Fields of the Wasm artifact config (application/vnd.wasm.config.v0+json). */
  layerDigests?: Digest[];
  component?: unknown;
}

/** Stable codes of {@link ManifestError}. */
export type ManifestErrorCode = 'MANIFEST_TOO_LARGE' | 'MANIFEST_INVALID' | 'MEDIA_TYPE_UNKNOWN';

/** A manifest, index or config that wasmvisor refuses; the message says which and why. */
export class ManifestError extends CodedError<ManifestErrorCode> {
  override readonly name = 'ManifestError';
}

/** A parsed manifest or index, tagged by kind, with its media type as served or declared. */
export type ParsedManifest =
  | { kind: 'index'; mediaType: string; index: ImageIndex }
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest };

function invalid(what: string, why: string): ManifestError {
  return new ManifestError('MANIFEST_INVALID', `${what} is not a valid manifest: ${why}`);
}

function checkDescriptor(d: unknown, what: string): Descriptor {
  if (typeof d !== 'object' || d === null) throw invalid(what, 'a descriptor is not an object');
  const desc = d as Descriptor;
  if (typeof desc.mediaType !== 'string' || desc.mediaType === '') throw invalid(what, 'a descriptor has no mediaType');
  if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw invalid(what, `descriptor ${String(desc.digest)} has no valid size`);
  try {
    validateDigest(desc.digest);
  } catch (err) {
    if (err instanceof DigestError) throw invalid(what, err.message);
    throw err;
  }
  return desc;
}

/**
 * Parse a manifest or index from `bytes`. `contentType` is the type the
 * registry served (or the descriptor's), used when the document has no
 * `mediaType` field; `what` names it in errors (a reference or digest).
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined, what: string): ParsedManifest {
  if (bytes.byteLength > MAX_MANIFEST_SIZE) {
    throw new ManifestError(
      'MANIFEST_TOO_LARGE',
      `${what}: manifest is ${bytes.byteLength} bytes, over the ${MAX_MANIFEST_SIZE}-byte limit; this is not an image wasmvisor can use`,
    );
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch {
    throw invalid(what, 'not UTF-8 JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid(what, 'not a JSON object');
  const ct = contentType?.split(';')[0].trim();
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  let mediaType = declared ?? (ct && ct !== 'application/json' && ct !== 'application/octet-stream' ? ct : undefined);
  if (mediaType === undefined) {
    // OCI allows an absent mediaType; tell index from manifest by shape.
    if (Array.isArray(doc.manifests)) mediaType = MediaType.OCI_INDEX;
    else if (doc.config !== undefined && Array.isArray(doc.layers)) mediaType = MediaType.OCI_MANIFEST;
  }
  if (doc.schemaVersion === 1 || mediaType?.startsWith('application/vnd.docker.distribution.manifest.v1')) {
    throw new ManifestError('MEDIA_TYPE_UNKNOWN', `${what}: Docker schema 1 manifests are not supported; push the image again with a current tool`);
  }
  if (doc.schemaVersion !== 2) throw invalid(what, `schemaVersion is ${JSON.stringify(doc.schemaVersion)}, expected 2`);
  if (isIndexType(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw invalid(what, 'an index without a manifests list');
    doc.manifests.forEach((m) => checkDescriptor(m, what));
    return { kind: 'index', mediaType: mediaType!, index: doc as unknown as ImageIndex };
  }
  if (isManifestType(mediaType)) {
    if (!Array.isArray(doc.layers)) throw invalid(what, 'a manifest without a layers list');
    checkDescriptor(doc.config, what);
    doc.layers.forEach((l) => checkDescriptor(l, what));
    return { kind: 'manifest', mediaType: mediaType!, manifest: doc as unknown as ImageManifest };
  }
  throw new ManifestError(
    'MEDIA_TYPE_UNKNOWN',
    `${what}: media type ${JSON.stringify(mediaType ?? ct ?? '')} is not an OCI or Docker schema 2 manifest or index; wasmvisor cannot pull it`,
  );
}

/** Parse an image config blob (JSON), with the size limit. */
export function parseConfig(bytes: Uint8Array, what: string): ImageConfig {
  if (bytes.byteLength > MAX_CONFIG_SIZE) {
    throw new ManifestError('MANIFEST_TOO_LARGE', `${what}: config is ${bytes.byteLength} bytes, over the ${MAX_CONFIG_SIZE}-byte limit`);
  }
  try {
    const doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as ImageConfig;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not an object');
    return doc;
  } catch {
    throw new ManifestError('MANIFEST_INVALID', `${what}: the image config is not a JSON object`);
  }
}
