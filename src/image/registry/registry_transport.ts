/**
 * The registry transport: a Distribution-spec registry (and its mirrors,
 * per registries.conf) as a {@link Transport}. Pull and push are the tuned
 * paths of pull.ts and push.ts (resumable ingests, parallel blobs, mounts).
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../content/manifest.js';
import { isIndexType, isManifestType } from '../content/media_types.js';
import type { Store } from '../content/store_root.js';
import type { Reference } from '../reference/reference.js';
import { TransportError, verified, type TransferOptions, type TransferredImage, type Transport, type TransportImage } from '../transport/transport.js';
import { pullImage } from './pull.js';
import { pushImage } from './push.js';
import { RegistryClient, RegistryError } from './registry.js';

/** A registry as a transport; one per client (it keeps the client's tokens). */
export class RegistryTransport implements Transport {
  readonly kind = 'registry';
  readonly what = 'registry';
  readonly cached = false;
  /** The reference `fetch` reads blobs from (set by `resolve`, or given). */
  private from: Reference | undefined;

  constructor(readonly client: RegistryClient, from?: Reference) {
    this.from = from;
  }

  async resolve(ref?: Reference): Promise<TransportImage[]> {
    if (!ref) throw new TransportError('NOT_FOUND', 'a registry lists no images: name one (REGISTRY/REPOSITORY:TAG)');
    try {
      const m = await this.client.getManifest(ref, ref.digest ?? ref.tag ?? 'latest');
      this.from = ref;
      return [{ name: ref.toString(), target: { mediaType: m.mediaType ?? JSON.parse(m.bytes.toString('utf8')).mediaType, digest: m.digest, size: m.bytes.length } }];
    } catch (err) {
      if (err instanceof RegistryError && err.code === 'NOT_FOUND') return [];
      throw err;
    }
  }

  async *fetch(desc: Descriptor): AsyncIterable<Uint8Array> {
    const ref = this.from;
    if (!ref) throw new TransportError('NOT_FOUND', 'resolve a reference before fetching from a registry');
    if (isManifestType(desc.mediaType) || isIndexType(desc.mediaType)) {
      yield* verified(desc, (async function* (c: RegistryClient) { yield (await c.getManifest(ref, desc.digest)).bytes; })(this.client), `registry ${ref.name}`);
      return;
    }
    const ep = this.client.endpoints(ref).filter((e) => !e.mirror).at(-1) ?? this.client.endpoints(ref)[0];
    const res = await this.client.getBlob(ep, desc.digest);
    yield* verified(desc, res.body as Readable & AsyncIterable<Uint8Array>, `registry ${ep.host}/${ref.name}`);
  }

  async pull(store: Store, ref: Reference | undefined, opts: TransferOptions = {}): Promise<TransferredImage[]> {
    if (!ref) throw new TransportError('NOT_FOUND', 'pull needs an image reference (REGISTRY/REPOSITORY:TAG)');
    const r = await pullImage(store, ref, { client: this.client, platforms: opts.platforms, progress: opts.progress, allPlatforms: opts.allPlatforms });
    const rec = await store.images.get(r.name);
    return [{ name: r.name, target: rec?.target ?? { mediaType: r.mediaType, digest: r.digest, size: 0 }, report: r }];
  }

  async push(store: Store, names: readonly string[], opts: TransferOptions & { ref?: Reference } = {}): Promise<void> {
    if (names.length !== 1) throw new TransportError('NOT_FOUND', 'push one image at a time to a registry');
    this.lastPush = await pushImage(store, names[0], opts.ref, { client: this.client, progress: opts.progress });
  }

  /** What the last {@link push} did (digest, blobs sent or mounted). */
  lastPush: Awaited<ReturnType<typeof pushImage>> | undefined;

  async close(): Promise<void> {}
}
