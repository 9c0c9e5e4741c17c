/**
 * Where images come from and go to, behind one interface, as containerd's
 * transfer service puts a registry, an archive and the local store behind
 * sources and sinks: `pull` is a registry transport's pull, `load` an
 * archive's, `save` an archive's push, `push` a registry's push, and
 * `run IMAGE` tries its transports in order until one has the image.
 *
 * A walk through `load -i hello.tar` (an oci-archive):
 * 1. `openLayoutTransport` looks at the input: an archive with
 *    `index.json` and `oci-layout` is an {@link OciArchiveTransport}. Its
 *    blobs are staged in the content store as the archive is scanned (they
 *    are verified by digest and invisible until named).
 * 2. `resolve()` reads `index.json` and answers one {@link TransportImage}
 *    per entry: the name from the annotations and the descriptor of the
 *    manifest or index.
 * 3. `fetch(desc)` streams any blob the transport holds, checked against
 *    the descriptor's digest and size as it streams: the shared test suite
 *    fetches a manifest, its config and layers from every transport so.
 * 4. `pull(store)` copies the resolved images into the store under a
 *    lease (nothing half-imported is named) and names them.
 * 5. `close()` drops whatever was staged and not kept.
 *
 * The five transports: `registry` (a Distribution-spec registry, by a
 * {@link RegistryClient}), `oci-layout` (a directory), `oci-archive` and
 * `docker-archive` (tar files, `docker save` format) and `samples` (the
 * images bundled with wasmvisor, read-only).
 */
import type { Digest } from '../content/digest.js';
import { Digester } from '../content/digest.js';
import type { Descriptor, Platform } from '../content/manifest.js';
import type { Store } from '../content/store_root.js';
import type { Reference } from '../reference/reference.js';
import type { Progress } from './progress.js';
import { CodedError } from '../../coded_error.js';

/** The kinds of transport, as podman and skopeo spell them (`docker` is `registry` here). */
export type TransportKind = 'registry' | 'oci-layout' | 'oci-archive' | 'docker-archive' | 'samples';

/** An image a transport holds: its name there (when it has one) and its manifest or index. */
export interface TransportImage {
  name?: string;
  target: Descriptor;
}

/** Options of a transfer ({@link Transport.pull}, {@link Transport.push}). */
export interface TransferOptions {
  /** Wanted platforms, in order (default wasip1/wasm, then wasi/wasm). */
  platforms?: readonly Platform[];
  progress?: Progress;
  /** Name what was pulled this (only when the transport holds one image). */
  tag?: string;
  /** Bring in every manifest of an index, not just the chosen platform's. */
  allPlatforms?: boolean;
}

/** An image a transfer put in the store. */
export interface TransferredImage {
  /** Its name in the store. */
  name: string;
  target: Descriptor;
  /** The transport's own account of the transfer (a registry pull's {@link PullResult}: bytes fetched, endpoint). */
  report?: object;
}

/** A source and sink of images. */
export interface Transport {
  readonly kind: TransportKind;
  /** What and where, for messages (`registry docker.io`, `oci-archive hello.tar`). */
  readonly what: string;
  /**
   * True if the transport is a local copy of images made elsewhere (the
   * samples): `run --pull always` skips it.
   */
  readonly cached: boolean;
  /**
   * The images `ref` names here; every image the transport holds when
   * `ref` is undefined (a registry needs a reference). An absent image is
   * an empty list; a transport that cannot be read throws.
   */
  resolve(ref?: Reference): Promise<TransportImage[]>;
  /** The bytes of blob `desc` (manifest, index, config or layer), checked against its digest and size as they stream. */
  fetch(desc: Descriptor): AsyncIterable<Uint8Array>;
  /** Copy the images `ref` names (all of them when undefined) into `store` and name them there. */
  pull(store: Store, ref: Reference | undefined, opts?: TransferOptions): Promise<TransferredImage[]>;
  /** Copy the stored images `names` into this transport (registry push: one name, to `ref` when given). */
  push(store: Store, names: readonly string[], opts?: TransferOptions & { ref?: Reference }): Promise<void>;
  /** Release what the transport holds (staged blobs not kept, connections). */
  close(): Promise<void>;
}

/** Stable codes of {@link TransportError}. */
export type TransportErrorCode = 'DIGEST_MISMATCH' | 'NOT_FOUND' | 'READ_ONLY' | 'UNKNOWN_FORMAT';

/** A transport cannot do what was asked; the message says what to do. */
export class TransportError extends CodedError<TransportErrorCode> {
  override readonly name = 'TransportError';
}

/** Pass `chunks` through, failing at the end unless they hash to `desc.digest` and add up to `desc.size`. */
export async function* verified(desc: Pick<Descriptor, 'digest' | 'size'>, chunks: AsyncIterable<Uint8Array>, what: string): AsyncIterable<Uint8Array> {
  const d = new Digester();
  let n = 0;
  for await (const c of chunks) {
    n += c.length;
    if (n > desc.size) throw new TransportError('DIGEST_MISMATCH', `${what}: blob ${desc.digest} is longer than its descriptor's ${desc.size} bytes`);
    d.update(c);
    yield c;
  }
  const got: Digest = d.digest();
  if (n !== desc.size || got !== desc.digest) {
    throw new TransportError('DIGEST_MISMATCH', `${what}: blob ${desc.digest} came as ${n} bytes hashing to ${got}; the source is corrupt`);
  }
}
