/**
 * Bundled sample images, so the README demo runs offline: a tiny OCI image
 * layout at `src/image/samples/hello/` built from `wasm/hello.wasm` by
 * `build.ts` (deterministic; `npm run build:samples`), holding
 * {@link SAMPLE_IMAGE} (an image with one tar layer and an entrypoint) and
 * {@link SAMPLE_ARTIFACT} (the same module as a Wasm OCI artifact).
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadImages, type LoadedImage } from '../layout/load.js';
import type { ContentStore } from '../content/content_store.js';
import type { Descriptor } from '../content/manifest.js';
import type { Store } from '../content/store_root.js';
import { OciLayoutTransport } from '../layout/layout_transport.js';
import type { Reference } from '../reference/reference.js';
import { TransportError, type TransferredImage, type Transport, type TransportImage } from '../transport/transport.js';

/** The sample image's name. */
export const SAMPLE_IMAGE = 'localhost/wasmvisor/hello:latest';

/** The sample Wasm OCI artifact's name. */
export const SAMPLE_ARTIFACT = 'localhost/wasmvisor/hello:artifact';

/** The directory holding the bundled layout (works from `src/` and from `dist/src/`). */
export function samplesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [here, path.resolve(here, '..', '..', '..', '..', 'src', 'image', 'samples')];
  for (const c of candidates) if (existsSync(path.join(c, 'hello', 'index.json'))) return c;
  return candidates[0];
}

/**
 * Load the bundled samples into `store` unless every name already points at
 * the bundled manifest; resolves to the sample names.
 */
export async function loadBundledSamples(store: Store): Promise<string[]> {
  const dir = path.join(samplesDir(), 'hello');
  const index = JSON.parse(await fsp.readFile(path.join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const want = index.manifests.map((m) => ({ name: m.annotations?.['io.containerd.image.name'] ?? '', digest: m.digest }));
  let present = true;
  for (const w of want) {
    const rec = await store.images.get(w.name);
    if (!rec || rec.target.digest !== w.digest || !(await store.content.has(w.digest))) present = false;
  }
  if (present) return want.map((w) => w.name);
  const loaded: LoadedImage[] = await loadImages(store, dir);
  return loaded.map((l) => l.name);
}

/** True if `name` is one of the bundled sample images (full name; the tag may be left out for `latest`). */
export function isBundledSample(name: string): boolean {
  return name === SAMPLE_IMAGE || name === SAMPLE_ARTIFACT || `${name}:latest` === SAMPLE_IMAGE;
}

/**
 * The bundled samples as a read-only {@link Transport}: it holds only the
 * sample names, and pulling one loads the bundled layout (all samples, once).
 */
export class SamplesTransport implements Transport {
  readonly kind = 'samples';
  readonly what = 'the bundled samples';
  readonly cached = true;
  private readonly layout: OciLayoutTransport;

  constructor(content?: ContentStore) {
    this.layout = new OciLayoutTransport(path.join(samplesDir(), 'hello'), content);
  }

  async resolve(ref?: Reference): Promise<TransportImage[]> {
    if (ref && !isBundledSample(ref.toString())) return [];
    return this.layout.resolve(ref);
  }

  fetch(desc: Descriptor): AsyncIterable<Uint8Array> {
    return this.layout.fetch(desc);
  }

  async pull(store: Store, ref: Reference | undefined): Promise<TransferredImage[]> {
    if (ref && !isBundledSample(ref.toString())) throw new TransportError('NOT_FOUND', `${ref.toString()} is not a bundled sample`);
    const names = await loadBundledSamples(store);
    const out: TransferredImage[] = [];
    for (const name of names) {
      const rec = await store.images.get(name);
      if (rec && (!ref || ref.toString() === name)) out.push({ name, target: rec.target });
    }
    return out;
  }

  async push(): Promise<void> {
    throw new TransportError('READ_ONLY', 'the bundled samples are read-only: save or push to another transport');
  }

  close(): Promise<void> {
    return this.layout.close();
  }
}
