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
import type { Store } from '../content/store_root.js';

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
